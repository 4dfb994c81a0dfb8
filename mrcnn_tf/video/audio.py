"""Keeping the input's sound: find an ffmpeg binary and mux the source's audio into the output.

OpenCV reads and writes pictures only. When an ffmpeg binary is available (the
``imageio-ffmpeg`` package ships one; an ``ffmpeg`` on PATH also works) the audio track of
the selected segment is copied next to the annotated video stream; otherwise the run says
in one line that the audio was not kept.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

AUDIO_CODECS = {".mp4": ("copy", "aac"), ".avi": ("libmp3lame", "pcm_s16le")}  # tried in turn
PROBE_SECONDS = 30


def own_process_group() -> dict:
    """subprocess keyword arguments that keep a Ctrl-C meant for us from reaching the child."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}


def find_ffmpeg():
    """Path of an ffmpeg binary: imageio-ffmpeg's, else one on PATH; None if there is none."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return shutil.which("ffmpeg")
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return shutil.which("ffmpeg")


def has_audio(ffmpeg: str, source) -> bool:
    """True when ffmpeg lists an audio stream in the source file."""
    try:
        probe = subprocess.run([ffmpeg, "-hide_banner", "-i", os.fspath(source)],
                               capture_output=True, timeout=PROBE_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return False
    text = probe.stderr.decode("utf-8", "replace")
    return re.search(r"Stream #\S+.*: Audio:", text) is not None


def mux_audio(ffmpeg: str, video, source, output, *, start: float, duration: float):
    """Write ``output``: the video stream of ``video`` (copied, not re-encoded) plus the
    source's first audio track from ``start`` seconds for ``duration`` seconds.

    Returns None on success, else a one-line reason (output is then removed).
    """
    reason = "no audio codec worked"
    for codec in AUDIO_CODECS[os.path.splitext(os.fspath(output))[1].lower()]:
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                   "-i", os.fspath(video), "-ss", f"{start:.6f}", "-t", f"{duration:.6f}",
                   "-i", os.fspath(source), "-map", "0:v:0", "-map", "1:a:0",
                   "-c:v", "copy", "-c:a", codec, "-shortest", os.fspath(output)]
        try:
            run = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL,
                                 **own_process_group())
        except OSError as err:
            return f"cannot run ffmpeg ({err})"
        if run.returncode == 0:
            return None
        lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"ffmpeg exited with status {run.returncode}"
        if os.path.exists(output):
            os.remove(output)
    return reason
