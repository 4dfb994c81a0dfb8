"""Reading videos: frame counts, rates, damaged files, segments, streams and bad sources."""
from __future__ import annotations

import functools
import http.server
import threading
import time

import cv2
import numpy as np
import pytest

from mrcnn_tf.video.errors import VideoError
from mrcnn_tf.video.reader import BackgroundReader
from mrcnn_tf.video.source import CAMERA, FILE, STREAM, VideoSource, parse_source
from tests.video.conftest import FRAMES
from tests.video.synthetic import draw_frame, truncate, write_video


@pytest.mark.parametrize("name, count, fps, size", [("odd60", FRAMES, 60, (641, 359)),
                                                    ("one_fps", 12, 1, (320, 240))])
def test_reads_every_frame_with_rate_and_size(videos, name, count, fps, size):
    source = VideoSource(videos[name])
    frames = list(source.frames())
    source.close()
    assert (source.width, source.height) == size
    assert source.fps == fps and source.frame_count == count
    assert [f.index for f in frames] == list(range(count))
    assert frames[5].time == pytest.approx(5 / fps)
    assert frames[0].image.shape == (size[1], size[0], 3) and frames[0].image.dtype == np.uint8
    expected = draw_frame(3, count, *size)
    assert np.abs(frames[3].image.astype(int) - expected).mean() < 4  # RGB order, lossy codec


def test_garbage_frame_is_skipped_and_counted(videos):
    source = VideoSource(videos["garbage"])
    indices = [f.index for f in source.frames()]
    assert source.skipped == 1 and source.missing == 0
    assert indices == [i for i in range(FRAMES) if i != 17]


def test_garbage_first_frame_is_skipped_too(videos, tmp_path):
    from tests.video.synthetic import corrupt_frame

    source = VideoSource(corrupt_frame(videos["small"], 0, tmp_path / "bad_start.avi"))
    indices = [f.index for f in source.frames()]
    assert source.skipped == 1 and indices == list(range(1, FRAMES))


def test_truncated_file_reports_missing_frames(videos):
    source = VideoSource(videos["truncated"])
    frames = list(source.frames())
    assert 0 < len(frames) < FRAMES
    assert source.missing == FRAMES - len(frames)
    assert source.skipped == 0


def test_segment_by_seconds(videos):
    source = VideoSource(videos["small"])  # 30 fps
    source.seek(0.5)
    frames = list(source.frames(end=1.0))
    assert [f.index for f in frames] == list(range(15, 30))
    assert np.abs(frames[0].image.astype(int) - draw_frame(15, FRAMES, 160, 120)).mean() < 4


def test_start_past_the_end_is_refused(videos):
    source = VideoSource(videos["small"])
    with pytest.raises(VideoError, match="past the end"):
        source.seek(5.0)


def test_background_reader_delivers_all_frames_and_stops_early(videos):
    source = VideoSource(videos["small"])
    with BackgroundReader(source, maxsize=2) as reader:
        assert len(list(reader)) == FRAMES
    source = VideoSource(videos["small"])
    with BackgroundReader(source, maxsize=2) as reader:
        for i, _ in enumerate(reader):
            if i == 3:
                break
    assert not reader._thread.is_alive()


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "nothing.mp4", "no such file"),
    (lambda d: d, "is a folder"),
    (lambda d: (d / "notes.txt").write_text("not a video") and d / "notes.txt",
     "cannot be opened"),
])
def test_bad_sources_give_one_clear_error(tmp_path, make, message):
    with pytest.raises(VideoError, match=message) as info:
        VideoSource(make(tmp_path))
    assert "\n" not in str(info.value)


def test_mp4_cut_before_its_index_cannot_be_opened(tmp_path):
    whole = write_video(tmp_path / "whole.mp4", frames=10)
    with pytest.raises(VideoError, match="cannot be opened"):
        VideoSource(truncate(whole, 0.5, tmp_path / "cut.mp4"))


def test_parse_source():
    assert parse_source(0) == (CAMERA, 0)
    assert parse_source("1") == (CAMERA, 1)
    assert parse_source("rtsp://127.0.0.1/live") == (STREAM, "rtsp://127.0.0.1/live")
    assert parse_source("clip.mp4")[0] == FILE


@pytest.fixture
def http_server(videos):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(videos["small"].parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_stream_url_is_read(http_server):
    source = VideoSource(f"{http_server}/small.avi")
    frames = list(source.frames())
    source.close()
    assert source.kind == STREAM and source.fps == 30
    assert len(frames) == FRAMES


class PacedCapture:
    """A stand-in camera: the frames of a video file, delivered in real time at ``fps``;
    like many cameras it reports no frame rate."""

    def __init__(self, path, fps):
        self.cap = cv2.VideoCapture(str(path))
        self.period = 1.0 / fps
        self.next = time.monotonic()

    def isOpened(self):
        return True

    def read(self):
        time.sleep(max(0.0, self.next - time.monotonic()))
        self.next = max(self.next + self.period, time.monotonic() - self.period)
        return self.cap.read()

    def get(self, prop):
        return 0.0

    def release(self):
        self.cap.release()


class Camera(VideoSource):
    def __init__(self, capture):
        self._capture = capture
        super().__init__(0)

    def _open(self):
        return self._capture


def test_camera_rate_is_measured_and_end_is_in_capture_time(videos):
    camera = Camera(PacedCapture(videos["odd60"], fps=20))
    assert camera.kind == CAMERA and camera.frame_count is None
    assert camera.fps == pytest.approx(20, rel=0.3)
    frames = list(camera.frames(end=1.5))
    # stopped by the end time, not by the 40 frames (2 s) running out; the last frame is
    # before it and not far before (a stall of half a second would be needed to miss that)
    assert len(frames) < 40 and 1.0 < frames[-1].time < 1.5
    assert [f.index for f in frames] == list(range(len(frames)))
    assert all(b.time > a.time for a, b in zip(frames, frames[1:]))


def test_frames_above_max_pixels_are_refused_from_the_container_size(videos, tmp_path):
    """No frame of this copy decodes, so the size in the message can only come from the
    container, before any frame was decoded."""
    from tests.video.synthetic import corrupt_all_frames

    undecodable = corrupt_all_frames(videos["small"], tmp_path / "undecodable.avi")
    with pytest.raises(VideoError) as caught:
        VideoSource(undecodable, max_pixels=10_000)
    assert str(caught.value) == (f"source {str(undecodable)!r}: its frames are 160x120 = "
                                 "0.0192 megapixels, more than the limit of 0.01 megapixels "
                                 "(--max-pixels); not decoded")
    with pytest.raises(VideoError, match="no frame could be decoded"):
        VideoSource(undecodable, max_pixels=None)
    source = VideoSource(videos["small"], max_pixels=160 * 120)  # at the limit: read
    assert (source.width, source.height) == (160, 120)
    source.close()
