"""process_video with a colour-shape model: what is written, tracked, skipped and refused."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from mrcnn_tf import COCO_CLASS_NAMES
from mrcnn_tf.results import rle_to_mask
from mrcnn_tf.video import VideoError, process_video, read_jsonl
from tests.video.conftest import FRAMES
from tests.video.synthetic import GREEN, ShapeModel, count_frames


def run(source, output, **kwargs):
    kwargs.setdefault("progress", False)
    return process_video(kwargs.pop("model", ShapeModel()), source, output,
                         class_names=COCO_CLASS_NAMES, **kwargs)


def read_frames(path) -> list:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            return frames
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize("name, out_name, count, fps, size", [
    ("odd60", "out.avi", FRAMES, 60, (641, 359)), ("one_fps", "out.avi", 12, 1, (320, 240)),
    ("small", "out.mp4", FRAMES, 30, (160, 120))])
def test_output_keeps_count_rate_and_size_and_jsonl_has_a_line_per_frame(
        videos, tmp_path, name, out_name, count, fps, size):
    summary = run(videos[name], tmp_path / out_name, jsonl=tmp_path / "out.jsonl")
    assert summary.complete and summary.output == tmp_path / out_name
    assert count_frames(tmp_path / out_name) == (count, fps, *size)
    records = read_jsonl(tmp_path / "out.jsonl")
    assert [r["frame"] for r in records] == list(range(count))
    assert (summary.frames_read, summary.frames_written, summary.frames_processed) == (count,) * 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out_name, "out.jsonl"])


def test_track_ids_are_stable_and_a_new_object_gets_a_new_one(videos, tmp_path):
    run(videos["small"], tmp_path / "out.mp4", jsonl=tmp_path / "out.jsonl")
    records = read_jsonl(tmp_path / "out.jsonl")
    ids = {}  # class name -> set of track ids
    for record in records:
        for d in record["detections"]:
            ids.setdefault(d["class_name"], set()).add(d["track_id"])
            mask = rle_to_mask(d["rle"])
            assert mask.shape == (120, 160) and mask.sum() == d["mask_area"] > 0
            y1, x1, y2, x2 = d["box"]
            assert d["bbox"] == [x1, y1, x2 - x1, y2 - y1]
    assert ids == {"person": {1}, "car": {2}, "dog": {3}}
    first_dog = next(r["frame"] for r in records
                     if any(d["class_name"] == "dog" for d in r["detections"]))
    assert first_dog == 20


def test_every_nth_frame_runs_the_model_and_the_others_carry_its_drawing(videos, tmp_path):
    model = ShapeModel()
    summary = run(videos["small"], tmp_path / "out.avi", jsonl=tmp_path / "out.jsonl",
                  every=3, model=model)
    records = read_jsonl(tmp_path / "out.jsonl")
    assert [r["frame"] for r in records] == list(range(0, FRAMES, 3))
    assert sum(model.calls) == summary.frames_processed == math.ceil(FRAMES / 3)
    assert summary.frames_written == FRAMES
    # frame 1 was not processed; it shows frame 0's person drawn in its track colour
    person = next(d for d in records[0]["detections"] if d["class_name"] == "person")
    drawn = read_frames(tmp_path / "out.avi")[1]
    y1, x1, y2, x2 = person["box"]
    outline = drawn[y1, x1:x2].astype(int)  # the box's top edge, coloured, not background
    assert np.abs(outline - 60).max() > 60


def test_overlay_colours_follow_the_track(videos, tmp_path):
    run(videos["small"], tmp_path / "out.avi", jsonl=tmp_path / "out.jsonl")
    records = read_jsonl(tmp_path / "out.jsonl")
    frames = read_frames(tmp_path / "out.avi")
    centres = []
    for record, frame in zip(records[:15], frames):
        car = next(d for d in record["detections"] if d["class_name"] == "car")
        y1, x1, y2, x2 = car["box"]
        centres.append(frame[(y1 + y2) // 2, (x1 + x2) // 2].astype(int))  # mask fill
    centres = np.array(centres)
    assert np.ptp(centres, axis=0).max() <= 20  # one colour (up to MJPEG noise) throughout
    assert np.abs(centres[0] - GREEN).max() > 30  # and it is drawn over the green square


def test_segment_start_end(videos, tmp_path):
    summary = run(videos["small"], tmp_path / "out.avi", jsonl=tmp_path / "out.jsonl",
                  start=0.5, end=1.0)
    records = read_jsonl(tmp_path / "out.jsonl")
    assert count_frames(tmp_path / "out.avi")[0] == summary.frames_written == 15
    assert records[0]["source_frame"] == 15 and records[0]["time"] == pytest.approx(0.5)
    assert records[-1]["frame"] == 14


def test_garbage_frame_is_skipped_and_reported(videos, tmp_path, capsys):
    summary = run(videos["garbage"], tmp_path / "out.mp4", jsonl=tmp_path / "out.jsonl",
                  progress=True)
    assert summary.complete and summary.frames_skipped == 1
    assert summary.frames_written == count_frames(tmp_path / "out.mp4")[0] == FRAMES - 1
    assert 17 not in [r["source_frame"] for r in read_jsonl(tmp_path / "out.jsonl")]
    err = capsys.readouterr().err
    assert "1 skipped as unreadable" in err and f"{FRAMES} written" not in err


def test_truncated_source_is_processed_as_far_as_it_goes(videos, tmp_path):
    summary = run(videos["truncated"], tmp_path / "out.mp4")
    assert summary.complete and 0 < summary.frames_written < FRAMES
    assert summary.frames_missing == FRAMES - summary.frames_written
    assert count_frames(tmp_path / "out.mp4")[0] == summary.frames_written
    assert any("truncated" in n for n in summary.notices)


def test_classes_and_min_score_filter_the_detections(videos, tmp_path):
    run(videos["small"], None, jsonl=tmp_path / "cars.jsonl", classes=["Car"])
    names = {d["class_name"] for r in read_jsonl(tmp_path / "cars.jsonl")
             for d in r["detections"]}
    assert names == {"car"}
    run(videos["small"], None, jsonl=tmp_path / "none.jsonl", min_score=0.95)
    assert all(not r["detections"] for r in read_jsonl(tmp_path / "none.jsonl"))


def test_unknown_class_is_refused_with_suggestions_before_writing(videos, tmp_path):
    with pytest.raises(VideoError, match="'carr'.*'car'"):
        run(videos["small"], tmp_path / "out.mp4", classes="carr")
    assert not list(tmp_path.iterdir())


def test_render_none_copies_the_frames_and_splash_grays_the_background(videos, tmp_path):
    run(videos["small"], tmp_path / "none.avi", render="none")
    run(videos["small"], tmp_path / "splash.avi", render="splash")
    run(videos["small"], tmp_path / "overlay.avi")
    source = read_frames(videos["small"])[5].astype(int)
    plain = read_frames(tmp_path / "none.avi")[5].astype(int)
    splash = read_frames(tmp_path / "splash.avi")[5].astype(int)
    overlay = read_frames(tmp_path / "overlay.avi")[5].astype(int)
    assert np.abs(plain - source).mean() < 2
    assert np.abs(overlay - source).mean() > 2 * np.abs(plain - source).mean()
    red = (source[..., 0] > 150) & (source[..., 1] < 110)
    assert np.abs(splash[red] - source[red]).mean() < 8  # objects keep their colour


def test_batches_of_a_fixed_size(videos, tmp_path):
    model = ShapeModel()
    summary = run(videos["small"], tmp_path / "out.mp4", batch_size=4, model=model)
    assert model.calls == [4] * (FRAMES // 4)
    assert summary.batch_size == 4 and summary.frames_written == FRAMES


def test_automatic_batch_size_is_tried_and_settled(videos, tmp_path):
    model = ShapeModel(delay=0.1)  # a fixed cost per call: larger batches are faster
    summary = run(videos["small"], None, jsonl=tmp_path / "out.jsonl", model=model)
    assert model.calls[:5] == [1, 1, 1, 2, 2]  # untimed first call, then 1, 1, 2, 2, ...
    assert summary.batch_size > 1
    assert sum(model.calls) == FRAMES


@pytest.mark.parametrize("overwrite", [False, True])
def test_existing_output_is_kept_unless_overwrite(videos, tmp_path, overwrite):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"precious")
    if not overwrite:
        with pytest.raises(VideoError, match="exists.*overwrite"):
            run(videos["small"], out)
        assert out.read_bytes() == b"precious"
    else:
        run(videos["small"], out, overwrite=True)
        assert count_frames(out)[0] == FRAMES


def test_output_may_not_be_the_input(videos, tmp_path):
    copy = tmp_path / "clip.avi"
    copy.write_bytes(videos["small"].read_bytes())
    with pytest.raises(VideoError, match="is the source"):
        run(copy, tmp_path / "." / "clip.avi", overwrite=True)
    assert copy.read_bytes() == videos["small"].read_bytes()


@pytest.mark.parametrize("source", ["missing.mp4", "notes.txt"])
def test_bad_source_writes_nothing(tmp_path, source):
    (tmp_path / "notes.txt").write_text("not a video")
    with pytest.raises(VideoError, match="source"):
        run(tmp_path / source, tmp_path / "out" / "out.mp4", jsonl=tmp_path / "out.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("options, message", [
    ({"every": 0}, "every"), ({"start": 2.0, "end": 1.0}, "after start"),
    ({"min_score": 1.5}, "min_score"), ({"render": "cartoon"}, "render"),
])
def test_bad_options_are_refused(videos, tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        run(videos["small"], tmp_path / "out.mp4", **options)
    assert not list(tmp_path.iterdir())


class FailingModel(ShapeModel):
    def detect(self, images, verbose=0):
        if len(self.calls) >= 5:
            raise RuntimeError("model exploded")
        return super().detect(images)


def test_an_error_mid_run_keeps_a_playable_partial_output(videos, tmp_path):
    with pytest.raises(RuntimeError, match="model exploded"):
        run(videos["small"], tmp_path / "out.mp4", jsonl=tmp_path / "out.jsonl",
            model=FailingModel(), batch_size=1)
    frames = count_frames(tmp_path / "out.partial.mp4")[0]
    assert frames == 5 == len(read_jsonl(tmp_path / "out.partial.jsonl"))
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out.jsonl").exists()
