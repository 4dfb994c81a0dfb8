"""``mrcnn-tf video``: options, exit statuses, and a run with the small model."""
from __future__ import annotations

import argparse

import pytest

from mrcnn_tf.cli import model_setup
from mrcnn_tf.cli.main import main
from mrcnn_tf.cli.video import _time
from mrcnn_tf.video import read_jsonl
from tests.video.conftest import videos  # noqa: F401  (the synthetic videos fixture)
from tests.video.synthetic import count_frames


def test_times_in_seconds_or_minutes():
    assert _time("90.5") == 90.5
    assert _time("1:30.5") == 90.5
    assert _time("1:02:03") == 3723
    with pytest.raises(argparse.ArgumentTypeError):
        _time("soon")


def test_missing_source_fails_fast_without_writing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(model_setup, "load_model", lambda *a: pytest.fail("model loaded"))
    status = main(["video", str(tmp_path / "none.mp4"), str(tmp_path / "out.mp4"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "no such file" in err[0]
    assert not list(tmp_path.iterdir())


def test_existing_output_needs_overwrite(videos, tmp_path, capsys):
    (tmp_path / "out.mp4").write_bytes(b"keep me")
    status = main(["video", str(videos["small"]), str(tmp_path / "out.mp4"), "-q"])
    assert status == 2 and "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "out.mp4").read_bytes() == b"keep me"


def test_unknown_class_fails_before_the_model_is_built(videos, tmp_path, r50_weights, capsys,
                                                       monkeypatch):
    monkeypatch.setattr(model_setup, "load_model", lambda *a: pytest.fail("model loaded"))
    status = main(["video", str(videos["small"]), str(tmp_path / "out.mp4"), "--weights",
                   str(r50_weights), "--classes", "persn", "-q"])
    assert status == 2 and "did you mean 'person'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_video_command_writes_video_and_jsonl(videos, tmp_path, r50_weights, small_model,
                                              monkeypatch, capsys):
    """Weights, class names and options go through the real CLI path; building the model is
    replaced by the session's identical small model (ResNet-50 weights, 256 x 256) to save a
    second model build."""
    requested = []

    def load_model(path, overrides):
        requested.append(overrides)
        return small_model

    monkeypatch.setattr(model_setup, "load_model", load_model)
    out, jsonl = tmp_path / "out.avi", tmp_path / "out.jsonl"
    status = main(["video", str(videos["odd60"]), str(out), "--weights", str(r50_weights),
                   "--image-max-dim", "256", "--image-min-dim", "256", "--every", "5",
                   "--end", "0:00.2", "--jsonl", str(jsonl), "--classes", "person,car"])
    assert status == 0
    assert requested == [{"IMAGE_MAX_DIM": 256, "IMAGE_MIN_DIM": 256}]
    assert count_frames(out) == (12, 60, 641, 359)
    assert [r["frame"] for r in read_jsonl(jsonl)] == [0, 5, 10]
    err = capsys.readouterr().err
    assert "video done: 12 frames read, 12 written, 0 skipped as unreadable" in err


def test_frames_above_max_pixels_stop_the_run_before_decoding(videos, tmp_path, capsys):
    """No frame of the copy decodes: the size in the one error line comes from the container."""
    from tests.video.synthetic import corrupt_all_frames

    source = corrupt_all_frames(videos["small"], tmp_path / "undecodable.avi")
    status = main(["video", str(source), str(tmp_path / "out.mp4"), "--max-pixels", "10000",
                   "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1, err
    assert err[0] == (f"mrcnn-tf video: error: source {str(source)!r}: its frames are 160x120 "
                      "= 0.0192 megapixels, more than the limit of 0.01 megapixels "
                      "(--max-pixels); not decoded")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["undecodable.avi"]
