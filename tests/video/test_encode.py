"""Encoders keep frame size, count and rate; odd sizes in .mp4 need the ffmpeg binary."""
from __future__ import annotations

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


@pytest.mark.parametrize("name, width, height, fps", [
    ("odd.avi", 641, 359, 60.0), ("slow.avi", 320, 240, 1.0), ("even.mp4", 320, 240, 60.0),
    ("slow.mp4", 160, 120, 1.0), ("ntsc.mp4", 160, 120, 30000 / 1001)])
def test_opencv_encoders_keep_size_count_and_rate(tmp_path, name, width, height, fps):
    encoder, notice = write(tmp_path / name, width, height, fps, 12)
    assert isinstance(encoder, OpenCVEncoder) and notice is None
    count, read_fps, w, h = count_frames(tmp_path / name)
    assert (count, w, h) == (12, width, height)
    assert read_fps == pytest.approx(fps, rel=1e-3)


def test_odd_sized_mp4_without_ffmpeg_is_written_one_pixel_smaller_with_a_notice(tmp_path):
    encoder, notice = write(tmp_path / "odd.mp4", 641, 359, 25.0, 5, ffmpeg=None)
    assert isinstance(encoder, OpenCVEncoder)
    assert "641x359" in notice and "imageio-ffmpeg" in notice
    assert count_frames(tmp_path / "odd.mp4")[2:] == (640, 358)


def test_odd_sized_mp4_with_ffmpeg_keeps_the_size(tmp_path):
    ffmpeg = find_ffmpeg()
    if ffmpeg is None:
        pytest.skip("no ffmpeg binary: install the optional imageio-ffmpeg package")
    encoder, notice = write(tmp_path / "odd.mp4", 641, 359, 60.0, 30, ffmpeg=ffmpeg)
    assert isinstance(encoder, FFmpegEncoder) and notice is None
    count, fps, w, h = count_frames(tmp_path / "odd.mp4")
    assert (count, fps, w, h) == (30, 60.0, 641, 359)


def test_unsupported_extension_is_refused(tmp_path):
    with pytest.raises(VideoError, match="unsupported extension '.mkv'"):
        open_encoder(tmp_path / "out.mkv", 30, 64, 64)


def test_unwritable_output_is_reported(tmp_path):
    with pytest.raises(VideoError, match="cannot write"):
        OpenCVEncoder(tmp_path / "missing-folder" / "out.mp4", 30, 64, 64)


def test_ffmpeg_failure_is_reported(tmp_path):
    ffmpeg = find_ffmpeg()
    if ffmpeg is None:
        pytest.skip("no ffmpeg binary: install the optional imageio-ffmpeg package")
    encoder = FFmpegEncoder(tmp_path / "missing-folder" / "out.mp4", 30, 65, 65, ffmpeg=ffmpeg)
    with pytest.raises(VideoError, match="ffmpeg"):
        for _ in range(200):  # fills the pipe once ffmpeg has given up
            encoder.write(np.zeros((65, 65, 3), np.uint8))
        encoder.close()
