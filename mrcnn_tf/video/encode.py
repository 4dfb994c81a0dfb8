"""Video encoders: H.264 through the ffmpeg binary for .mp4, OpenCV's writers otherwise.

- ``.avi``: Motion-JPEG by OpenCV's own AVI writer (any frame size, exact).
- ``.mp4`` with an ffmpeg binary (``imageio-ffmpeg`` ships one with libx264): H.264, yuv420p,
  ``+faststart``: plays in web browsers. 4:2:0 H.264 has even sizes only, so frames of odd
  width/height are padded by repeating their last column/row (the notice says so).
- ``.mp4`` without ffmpeg: MPEG-4 Part 2 (``mp4v``) by OpenCV's FFmpeg writer, which most
  browsers do not play (the notice says so); that writer also drops the last column/row of
  frames with an odd width/height.

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
H264_CRF = "20"  # libx264 constant rate factor: 0 (lossless) .. 51; 18-23 look clean
H264_PRESET = "veryfast"  # encoding speed: the encoder runs beside the model on the CPU


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
    """Raw RGB frames piped to an ffmpeg process encoding H.264 (libx264, yuv420p) into .mp4.

    Frames of odd width/height are padded to even sizes by repeating the last column/row
    (``padded_size``). ffmpeg runs in its own process group so a Ctrl-C meant for us does
    not stop it before the frames already sent are written; close() ends its input and waits
    for it (ffmpeg then writes the index at the front of the file: ``+faststart``).
    """

    def __init__(self, path, fps: float, width: int, height: int, *, ffmpeg: str):
        self.size = (width, height)
        self.padded_size = (width + width % 2, height + height % 2)
        self.description = "H.264 (ffmpeg libx264)"
        self.path = os.fspath(path)
        rate = fractions.Fraction(fps).limit_denominator(1001)
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "rgb24",
                   "-s", f"{self.padded_size[0]}x{self.padded_size[1]}",
                   "-framerate", f"{rate.numerator}/{rate.denominator}", "-i", "-",
                   "-an", "-c:v", "libx264", "-preset", H264_PRESET, "-crf", H264_CRF,
                   "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4", self.path]
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=self._log,
                                             **own_process_group())
        except OSError as err:
            self._log.close()
            raise VideoError(f"output {self.path!r}: cannot start ffmpeg ({err})") from None

    def write(self, rgb: np.ndarray) -> None:
        pad_x, pad_y = self.padded_size[0] - self.size[0], self.padded_size[1] - self.size[1]
        if pad_x or pad_y:
            rgb = np.pad(rgb, ((0, pad_y), (0, pad_x), (0, 0)), mode="edge")
        try:
            self._process.stdin.write(np.ascontiguousarray(rgb, dtype=np.uint8).data)
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

    ffmpeg: path of an ffmpeg binary; with it .mp4 is H.264 (odd sizes padded to even, with
    a notice). Without it .mp4 is OpenCV's mp4v and the notice says browsers will not play
    it (and, for odd sizes, that the last column/row is lost).
    """
    suffix = check_extension(path)
    if suffix == ".avi":
        return OpenCVEncoder(path, fps, width, height), None
    if ffmpeg:
        encoder = FFmpegEncoder(path, fps, width, height, ffmpeg=ffmpeg)
        notice = None
        if encoder.padded_size != encoder.size:
            notice = (f"H.264 needs even frame sizes: the {width}x{height} frames are padded "
                      f"to {encoder.padded_size[0]}x{encoder.padded_size[1]} by repeating the "
                      "last column/row (use .avi to keep the exact size)")
        return encoder, notice
    notice = ("no ffmpeg binary found: the .mp4 video is MPEG-4 Part 2 (mp4v), which web "
              "browsers do not play; pip install imageio-ffmpeg for H.264")
    if width % 2 or height % 2:
        notice += (f"; OpenCV also writes .mp4 only at even sizes, so the {width}x{height} "
                   f"frames lose their last {'column' if width % 2 else 'row'}"
                   f"{' and row' if width % 2 and height % 2 else ''} (use .avi to keep it)")
    return OpenCVEncoder(path, fps, width, height), notice
