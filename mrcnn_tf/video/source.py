"""Video sources read with OpenCV: files, cameras (an index such as 0) and stream URLs.

Frames come out as ``Frame(index, time, image)``: ``index`` counts the source's frames from
its first one (unreadable frames included, so it stays the frame's position in the source),
``time`` is in seconds from the source's start (index / fps for files, the measured capture
time for cameras and streams) and ``image`` is RGB uint8 [H, W, 3].

A frame that cannot be decoded in the middle of a file is skipped and counted in
``skipped``; frames a truncated file announces but does not hold are counted in
``missing``. Reading goes on past unreadable frames until the file's announced frame count
is reached or ``max_failures`` reads in a row have failed.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import cv2
import numpy as np

from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS, ImageTooLargeError, check_pixels
from mrcnn_tf.video.errors import VideoError

FILE, CAMERA, STREAM = "file", "camera", "stream"
MAX_FAILURES = 250  # unreadable frames in a row after which a file is taken as ended
LIVE_RETRIES = 25  # failed reads in a row after which a camera or stream is taken as ended
FIRST_FRAME_ATTEMPTS = 25  # reads tried before a source is declared undecodable
MEASURE_SECONDS = 1.0  # how long a camera's frame rate is measured before processing
MEASURE_MAX_FRAMES = 30
MAX_SANE_FPS = 1000.0


@dataclasses.dataclass
class Frame:
    """One decoded frame: position in the source, seconds from its start, RGB uint8 [H, W, 3]."""

    index: int
    time: float
    image: np.ndarray


def parse_source(source) -> tuple:
    """(kind, value): ("camera", int index) for an int or a string of digits, ("stream",
    url) for a string with "://", else ("file", Path)."""
    if isinstance(source, (int, np.integer)) and not isinstance(source, bool):
        return CAMERA, int(source)
    if isinstance(source, str) and source.strip().isdigit():
        return CAMERA, int(source.strip())
    if isinstance(source, str) and "://" in source:
        return STREAM, source
    if isinstance(source, (str, os.PathLike)):
        return FILE, Path(source)
    raise VideoError(f"source: expected a video file path, a camera index or a stream URL, "
                     f"got {type(source).__name__}")


def describe_source(source) -> str:
    kind, value = parse_source(source)
    return f"camera {value}" if kind == CAMERA else repr(os.fspath(value))


class VideoSource:
    """An opened video source (see the module docstring).

    Properties: ``kind``, ``name`` (for messages), ``fps`` (reported by the file, or measured
    for cameras), ``frame_count`` (announced by a file, else None), ``width``/``height`` of
    the decoded frames. Raises VideoError when the source cannot be opened or its first frame
    cannot be decoded (missing file, not a video, unsupported codec), or when its frames have
    more than max_pixels pixels (width x height; None: no limit): the size the container or
    device states is checked before any frame is decoded (the first frame's, when none is
    stated).
    """

    def __init__(self, source, *, max_failures: int = MAX_FAILURES,
                 max_pixels=DEFAULT_MAX_PIXELS):
        self.kind, self.value = parse_source(source)
        self.name = describe_source(source)
        self.max_failures = max_failures
        self.max_pixels = max_pixels
        self.skipped = 0
        self.missing = 0
        self.start_index = 0  # source index of the first frame frames() yields
        self._pending = []  # frames read while opening or measuring, handed out first
        if self.kind == FILE:
            self._check_file()
        self._cap = self._open()
        try:
            self._check_size(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH),
                             self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            self._start_time = time.monotonic()
            first = self._read_first()
            self.height, self.width = first.shape[:2]
            self._check_size(self.width, self.height)
            self._pending.append(Frame(0, 0.0, first))
            self.frame_count = self._frame_count()
            self.fps = self._frame_rate()
        except BaseException:
            self.close()
            raise

    @property
    def is_live(self) -> bool:
        return self.kind != FILE

    @property
    def start_time(self) -> float:
        """Seconds from the source's start to the first frame frames() yields (files)."""
        return self.start_index / self.fps

    @property
    def duration(self):
        """Seconds announced by a file, else None."""
        return self.frame_count / self.fps if self.frame_count else None

    def _check_file(self):
        path = self.value
        if not path.exists():
            raise VideoError(f"source {self.name}: no such file")
        if path.is_dir():
            raise VideoError(f"source {self.name}: is a folder, not a video file")
        if not os.access(path, os.R_OK):
            raise VideoError(f"source {self.name}: permission denied")

    def _check_size(self, width, height) -> None:
        """VideoError when width x height (a size of 0 or NaN: not stated) is above
        max_pixels."""
        if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
            return
        try:
            check_pixels(int(width), int(height), self.max_pixels)
        except ImageTooLargeError as err:
            raise VideoError(f"source {self.name}: its frames are {err} (--max-pixels); not "
                             "decoded") from None

    def _open(self):
        target = self.value if self.kind != FILE else os.fspath(self.value)
        cap = cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            hint = {FILE: "not a video, truncated before its index, or a format OpenCV's "
                          "FFmpeg cannot read",
                    CAMERA: "no such camera, or it is in use",
                    STREAM: "unreachable, or a protocol/format OpenCV's FFmpeg cannot read"}
            raise VideoError(f"source {self.name}: cannot be opened ({hint[self.kind]})")
        return cap

    def _read_first(self) -> np.ndarray:
        """The first decodable frame; unreadable frames before it count as skipped."""
        for failures in range(FIRST_FRAME_ATTEMPTS):
            ok, bgr = self._cap.read()
            if ok and bgr is not None and bgr.size:
                if self.kind == FILE:
                    self.start_index = self.skipped = failures
                return _to_rgb(bgr)
        raise VideoError(f"source {self.name}: no frame could be decoded (unsupported codec "
                         "or corrupt data)")

    def _frame_count(self):
        if self.kind != FILE:
            return None
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        return int(count) if math.isfinite(count) and count > 0 else None

    def _frame_rate(self) -> float:
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        sane = math.isfinite(fps) and 0 < fps <= MAX_SANE_FPS
        if self.kind == FILE:
            if not sane:
                raise VideoError(f"source {self.name}: the file does not state a usable frame "
                                 f"rate ({fps})")
            return float(fps)
        if self.kind == STREAM and sane:
            return float(fps)
        return self._measure_rate()

    def _measure_rate(self) -> float:
        """Frames per second of a live source, from the frames it delivers for a second."""
        start = time.monotonic()
        while (len(self._pending) < MEASURE_MAX_FRAMES
               and time.monotonic() - start < MEASURE_SECONDS):
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                break
            self._pending.append(Frame(len(self._pending), time.monotonic() - self._start_time,
                                       _to_rgb(bgr)))
        if len(self._pending) < 2:
            raise VideoError(f"source {self.name}: delivered too few frames to measure its "
                             "frame rate")
        span = self._pending[-1].time - self._pending[0].time
        return (len(self._pending) - 1) / span if span > 0 else 30.0

    def seek(self, seconds: float) -> None:
        """Start reading at this time: a file seeks to frame round(seconds * fps); a live
        source drops what it delivers until then."""
        if seconds <= 0:
            return
        if self.is_live:
            self._pending = [f for f in self._pending if f.time >= seconds]
            failures = 0
            while not self._pending and failures < LIVE_RETRIES:
                ok, bgr = self._cap.read()
                now = time.monotonic() - self._start_time
                failures = 0 if ok and bgr is not None else failures + 1
                if not failures and now >= seconds:
                    self._pending.append(Frame(0, now, _to_rgb(bgr)))
            return
        index = round(seconds * self.fps)
        if self.frame_count is not None and index >= self.frame_count:
            raise VideoError(f"start {seconds:g} s is past the end of source {self.name} "
                             f"({self.duration:.2f} s)")
        self._pending = []
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        self.start_index, self.skipped = index, 0

    def frames(self, end=None):
        """Yield Frames up to ``end`` seconds (exclusive; None = to the end of the source)."""
        end_index = None if end is None else round(end * self.fps)
        index = self.start_index
        pending, self._pending = self._pending, []
        for frame in pending:
            frame.index = index
            if not self.is_live:
                frame.time = index / self.fps
            if self._past_end(frame, end, end_index):
                return
            yield frame
            index += 1
        failures, first_failure = 0, None
        while True:
            ok, bgr = self._cap.read()
            if ok and bgr is not None:
                self.skipped += failures
                failures, first_failure = 0, None
                now = time.monotonic() - self._start_time
                frame = Frame(index, now if self.is_live else index / self.fps, _to_rgb(bgr))
                if self._past_end(frame, end, end_index):
                    return
                yield frame
            else:
                failures += 1
                first_failure = index if first_failure is None else first_failure
                if not self.is_live and end_index is not None and index + 1 >= end_index:
                    self.skipped += failures  # unreadable frames at the end of the segment
                    return
                if self._ended(index, failures):
                    break
            index += 1
        if self.frame_count is not None and first_failure is not None:
            last = self.frame_count if end_index is None else min(end_index, self.frame_count)
            self.missing = max(0, last - first_failure)

    def _past_end(self, frame, end, end_index) -> bool:
        if end is None:
            return False
        return frame.time >= end if self.is_live else frame.index >= end_index

    def _ended(self, index: int, failures: int) -> bool:
        if self.is_live:
            return failures >= LIVE_RETRIES
        if self.frame_count is not None and index + 1 >= self.frame_count:
            return True
        return failures >= self.max_failures

    def close(self) -> None:
        cap, self._cap = getattr(self, "_cap", None), None
        if cap is not None:
            cap.release()


def _to_rgb(bgr) -> np.ndarray:
    if bgr.ndim == 2:
        return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    if bgr.shape[2] == 4:
        return cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
