"""Video encoders: OpenCV's writers, and the ffmpeg binary where OpenCV cannot keep the size.

- ``.avi``: Motion-JPEG by OpenCV's own AVI writer (any frame size, exact).
- ``.mp4``: MPEG-4 Part 2 (``mp4v``) by OpenCV's FFmpeg writer. That writer drops the last
  column/row of frames with an odd width/height, so for odd sizes the frames are piped to
  an ffmpeg binary (``imageio-ffmpeg``) when there is one, which keeps the exact size.

Encoders take RGB uint8 frames [H, W, 3] of the size they were opened with. ``close()``
finalizes the container (index / moov atom), so even a stopped run leaves a playable file.
"""
from __future__ import annotations

import fractions
import os
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from mrcnn_tf.video.audio import own_process_group
from mrcnn_tf.video.errors import VideoError

EXTENSIONS = (".mp4", ".avi")
FFMPEG_QUALITY = "3"  # mpeg4 -q:v, 1 (best) .. 31


def check_extension(path) -> str:
    """The lower-case suffix of an output path; VideoError if it is not a supported one."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise VideoError(f"output {os.fspath(path)!r}: unsupported extension "
                         f"{suffix or '(none)'!r}; use {' or '.join(EXTENSIONS)}")
    return suffix


class OpenCVEncoder:
    """cv2.VideoWriter: OpenCV's MJPEG AVI writer for .avi, FFmpeg 'mp4v' for .mp4."""

    def __init__(self, path, fps: float, width: int, height: int):
        if check_extension(path) == ".avi":
            api, fourcc = cv2.CAP_OPENCV_MJPEG, "MJPG"
        else:
            api, fourcc = cv2.CAP_FFMPEG, "mp4v"
        self.size = (width, height)
        self.description = f"{fourcc} ({'OpenCV' if api == cv2.CAP_OPENCV_MJPEG else 'FFmpeg'})"
        self._writer = cv2.VideoWriter(os.fspath(path), api, cv2.VideoWriter_fourcc(*fourcc),
                                       float(fps), (width, height))
        if not self._writer.isOpened():
            raise VideoError(f"output {os.fspath(path)!r}: OpenCV cannot write {fourcc} video "
                             f"at {width}x{height}, {fps:g} fps")

    def write(self, rgb: np.ndarray) -> None:
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        self._writer.release()


class FFmpegEncoder:
    """Raw frames piped to an ffmpeg process encoding MPEG-4 Part 2 into .mp4 (any size).

    ffmpeg runs in its own process group so a Ctrl-C meant for us does not stop it before
    the frames already sent are written; close() ends its input and waits for it.
    """

    def __init__(self, path, fps: float, width: int, height: int, *, ffmpeg: str):
        self.size = (width, height)
        self.description = "mpeg4 (ffmpeg)"
        self.path = os.fspath(path)
        rate = fractions.Fraction(fps).limit_denominator(1001)
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}",
                   "-framerate", f"{rate.numerator}/{rate.denominator}", "-i", "-",
                   "-an", "-c:v", "mpeg4", "-q:v", FFMPEG_QUALITY, "-pix_fmt", "yuv420p",
                   "-f", "mp4", self.path]
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=self._log,
                                             **own_process_group())
        except OSError as err:
            self._log.close()
            raise VideoError(f"output {self.path!r}: cannot start ffmpeg ({err})") from None

    def write(self, rgb: np.ndarray) -> None:
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        try:
            self._process.stdin.write(bgr.data)
        except (BrokenPipeError, OSError):
            self._process.wait()
            raise VideoError(f"output {self.path!r}: ffmpeg stopped ({self._tail()})") from None

    def close(self) -> None:
        try:
            self._process.stdin.close()
        except OSError:
            pass
        code = self._process.wait()
        tail = self._tail()
        self._log.close()
        if code != 0:
            raise VideoError(f"output {self.path!r}: ffmpeg failed with status {code} ({tail})")

    def _tail(self) -> str:
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else "no message"


def open_encoder(path, fps: float, width: int, height: int, *, ffmpeg=None):
    """(encoder, notice or None) for an output path (see the module docstring).

    ffmpeg: path of an ffmpeg binary, used only for .mp4 frames of odd width or height. Without
    it OpenCV writes those one column/row smaller and the notice says so.
    """
    suffix = check_extension(path)
    odd = width % 2 or height % 2
    if suffix == ".mp4" and odd:
        if ffmpeg:
            return FFmpegEncoder(path, fps, width, height, ffmpeg=ffmpeg), None
        notice = (f"OpenCV writes .mp4 only at even sizes: the {width}x{height} frames lose "
                  f"their last {'column' if width % 2 else 'row'}"
                  f"{' and row' if width % 2 and height % 2 else ''}; use .avi, or install "
                  "imageio-ffmpeg to keep the exact size")
        return OpenCVEncoder(path, fps, width, height), notice
    return OpenCVEncoder(path, fps, width, height), None
