"""The input's audio track is kept when an ffmpeg binary is available, else a notice says so."""
from __future__ import annotations

import re
import subprocess

import pytest

from mrcnn_tf import COCO_CLASS_NAMES
from mrcnn_tf.video import audio, process_video
from tests.helpers import missing_extra
from tests.video.synthetic import ShapeModel, count_frames, write_video

FFMPEG = audio.find_ffmpeg()
if FFMPEG is None:  # every test here needs it
    missing_extra("no ffmpeg binary", "pip install -e '.[test]' (imageio-ffmpeg, in the [video] "
                  "extra too)")


def streams(path) -> str:
    """ffmpeg's description of a file's streams."""
    probe = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True,
                           text=True)
    return "\n".join(line for line in probe.stderr.splitlines() if "Stream #" in line
                     or "Duration" in line)


@pytest.fixture(scope="module")
def video_with_audio(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    silent = write_video(d / "silent.mp4", width=160, height=120, fps=25, frames=50)
    with_audio = d / "with_audio.mp4"
    subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(silent), "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=2", "-c:v", "copy", "-c:a", "aac",
                    "-shortest", str(with_audio)], check=True)
    return with_audio


@pytest.mark.parametrize("ext", [".mp4", ".avi"])
def test_audio_track_is_kept(video_with_audio, tmp_path, ext):
    assert audio.has_audio(FFMPEG, video_with_audio)
    out = tmp_path / f"out{ext}"
    summary = process_video(ShapeModel(), video_with_audio, out, class_names=COCO_CLASS_NAMES,
                            start=0.4, progress=False)
    assert summary.audio == "copied" and summary.complete
    assert "Audio:" in streams(out)
    assert count_frames(out)[:2] == (40, 25)
    duration = re.search(r"Duration: 00:00:(\d+\.\d+)", streams(out)).group(1)
    assert float(duration) == pytest.approx(1.6, abs=0.1)


def test_source_without_audio_needs_no_muxing(tmp_path):
    source = write_video(tmp_path / "in.avi", frames=10)
    summary = process_video(ShapeModel(), source, tmp_path / "out.mp4",
                            class_names=COCO_CLASS_NAMES, progress=False)
    assert summary.audio == "none" and not summary.notices


def test_without_ffmpeg_the_audio_is_dropped_with_a_notice(video_with_audio, tmp_path,
                                                           monkeypatch, capsys):
    monkeypatch.setattr(audio, "find_ffmpeg", lambda: None)
    summary = process_video(ShapeModel(), video_with_audio, tmp_path / "out.mp4",
                            class_names=COCO_CLASS_NAMES, progress=True)
    assert summary.audio == "dropped"
    assert "Audio:" not in streams(tmp_path / "out.mp4")
    notices = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    audio_notices = [line for line in notices if "audio" in line]
    assert len(audio_notices) == 1 and "imageio-ffmpeg" in audio_notices[0]
    assert any("browsers" in line for line in notices)  # and the mp4v video's notice
