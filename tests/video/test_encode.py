"""Encoders keep frame size, count and rate; .mp4 is H.264 (yuv420p) when there is an ffmpeg
binary, else mp4v with a notice that browsers will not play it."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from mrcnn_tf.video.audio import find_ffmpeg
from mrcnn_tf.video.encode import FFmpegEncoder, OpenCVEncoder, open_encoder
from mrcnn_tf.video.errors import VideoError
from tests.video.synthetic import count_frames, draw_frame


def write(path, width, height, fps, frames, ffmpeg=None):
    encoder, notice = open_encoder(path, fps, width, height, ffmpeg=ffmpeg)
    for i in range(frames):
        encoder.write(draw_frame(i, frames, width, height))
    encoder.close()
    return encoder, notice


def need_ffmpeg():
    """The ffmpeg binary; the test fails without it (imageio-ffmpeg is in the [test] extra)."""
    ffmpeg = find_ffmpeg()
    assert ffmpeg is not None, "no ffmpeg binary: pip install -e '.[test]' (imageio-ffmpeg)"
    return ffmpeg


def video_stream(path) -> str:
    """ffmpeg's one-line description of a file's video stream."""
    probe = subprocess.run([need_ffmpeg(), "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True)
    lines = [line for line in probe.stderr.splitlines() if "Video:" in line]
    assert len(lines) == 1, probe.stderr
    return lines[0]


@pytest.mark.parametrize("name, width, height, fps", [
    ("odd.avi", 641, 359, 60.0), ("slow.avi", 320, 240, 1.0), ("even.mp4", 320, 240, 60.0),
    ("slow.mp4", 160, 120, 1.0), ("ntsc.mp4", 160, 120, 30000 / 1001)])
def test_opencv_encoders_keep_size_count_and_rate(tmp_path, name, width, height, fps):
    encoder, notice = write(tmp_path / name, width, height, fps, 12)
    assert isinstance(encoder, OpenCVEncoder)
    if name.endswith(".mp4"):  # no ffmpeg given: mp4v, which browsers do not play
        assert "mp4v" in notice and "browsers" in notice and "imageio-ffmpeg" in notice
    else:
        assert notice is None
    count, read_fps, w, h = count_frames(tmp_path / name)
    assert (count, w, h) == (12, width, height)
    assert read_fps == pytest.approx(fps, rel=1e-3)


@pytest.mark.parametrize("width, height, fps", [(320, 240, 60.0), (160, 120, 30000 / 1001)])
def test_mp4_with_ffmpeg_is_h264_yuv420p_of_the_same_size_count_and_rate(tmp_path, width,
                                                                           height, fps):
    encoder, notice = write(tmp_path / "out.mp4", width, height, fps, 12, ffmpeg=need_ffmpeg())
    assert isinstance(encoder, FFmpegEncoder) and notice is None
    stream = video_stream(tmp_path / "out.mp4")
    assert "h264" in stream and "yuv420p" in stream, stream
    count, read_fps, w, h = count_frames(tmp_path / "out.mp4")
    assert (count, w, h) == (12, width, height)
    assert read_fps == pytest.approx(fps, rel=1e-3)


def test_h264_frames_look_like_the_input(tmp_path):
    frames = [draw_frame(i, 6, 160, 120) for i in range(6)]
    encoder, _ = open_encoder(tmp_path / "out.mp4", 10.0, 160, 120, ffmpeg=need_ffmpeg())
    for frame in frames:
        encoder.write(frame)
    encoder.close()
    import cv2

    cap = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    for frame in frames:
        ok, bgr = cap.read()
        assert ok
        error = np.abs(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(int) - frame).mean()
        assert error < 8, error  # lossy, but the same picture
    cap.release()


def test_odd_sized_mp4_without_ffmpeg_is_written_one_pixel_smaller_with_a_notice(tmp_path):
    encoder, notice = write(tmp_path / "odd.mp4", 641, 359, 25.0, 5, ffmpeg=None)
    assert isinstance(encoder, OpenCVEncoder)
    assert "641x359" in notice and "imageio-ffmpeg" in notice and "browsers" in notice
    assert count_frames(tmp_path / "odd.mp4")[2:] == (640, 358)


def test_odd_sized_mp4_with_ffmpeg_is_padded_to_even_h264_with_a_notice(tmp_path):
    encoder, notice = write(tmp_path / "odd.mp4", 641, 359, 60.0, 30, ffmpeg=need_ffmpeg())
    assert isinstance(encoder, FFmpegEncoder)
    assert "641x359" in notice and "642x360" in notice and ".avi" in notice
    assert "h264" in video_stream(tmp_path / "odd.mp4")
    count, fps, w, h = count_frames(tmp_path / "odd.mp4")
    assert (count, fps, w, h) == (30, 60.0, 642, 360)


def test_unsupported_extension_is_refused(tmp_path):
    with pytest.raises(VideoError, match="unsupported extension '.mkv'"):
        open_encoder(tmp_path / "out.mkv", 30, 64, 64)


def test_unwritable_output_is_reported(tmp_path):
    with pytest.raises(VideoError, match="cannot write"):
        OpenCVEncoder(tmp_path / "missing-folder" / "out.mp4", 30, 64, 64)


def test_ffmpeg_failure_is_reported(tmp_path):
    encoder = FFmpegEncoder(tmp_path / "missing-folder" / "out.mp4", 30, 65, 65,
                            ffmpeg=need_ffmpeg())
    with pytest.raises(VideoError, match="ffmpeg"):
        for _ in range(200):  # fills the pipe once ffmpeg has given up
            encoder.write(np.zeros((65, 65, 3), np.uint8))
        encoder.close()
