"""Ctrl-C / SIGTERM in the middle of a run leave a playable partial video and matching JSONL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from mrcnn_tf.video import read_jsonl
from tests.helpers import REPO
from tests.video.synthetic import count_frames, write_video

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from mrcnn_tf import COCO_CLASS_NAMES
    from mrcnn_tf.video import process_video
    from mrcnn_tf.video.interrupt import EXIT_STATUS
    from tests.video.synthetic import ShapeModel

    summary = process_video(ShapeModel(delay=0.05), {source!r}, {output!r},
                            class_names=COCO_CLASS_NAMES, jsonl={jsonl!r}, batch_size=1,
                            progress=True)
    print("RESULT", summary.complete, summary.frames_written, summary.output, flush=True)
    sys.exit(0 if summary.complete else EXIT_STATUS.get(summary.interrupted, 1))
""")
FRAMES = 300  # 15 s of model time: the signal always comes in the middle
LINES_BEFORE_SIGNAL = 8
TIMEOUT = 60


def wait_for_lines(path, count, process) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended early: {process.communicate()}")
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no {count} JSON lines in {path} after {TIMEOUT} s")


@pytest.mark.parametrize("signum, ext, status", [(signal.SIGINT, ".mp4", 130),
                                                 (signal.SIGTERM, ".avi", 143)])
def test_signal_leaves_playable_partial_output(tmp_path, signum, ext, status):
    source = write_video(tmp_path / "in.avi", width=160, height=120, fps=30, frames=FRAMES)
    output, jsonl = tmp_path / f"out{ext}", tmp_path / "out.jsonl"
    script = SCRIPT.format(repo=str(REPO), source=str(source), output=str(output),
                           jsonl=str(jsonl))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wait_for_lines(tmp_path / "out.incomplete.jsonl", LINES_BEFORE_SIGNAL, process)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=TIMEOUT)

    assert process.returncode == status, stderr
    assert "Traceback" not in stderr
    assert signal.Signals(signum).name in stderr  # says it was interrupted
    partial = tmp_path / f"out.partial{ext}"
    assert not output.exists() and not jsonl.exists()
    assert not (tmp_path / f"out.incomplete{ext}").exists()
    frames, fps, width, height = count_frames(partial)  # the container was finalized
    assert (fps, width, height) == (30, 160, 120)
    records = read_jsonl(tmp_path / "out.partial.jsonl")
    assert LINES_BEFORE_SIGNAL <= frames < FRAMES
    assert [r["frame"] for r in records] == list(range(frames))
    assert f"RESULT False {frames} {partial}" in stdout


def test_stop_on_signal_sets_the_event_instead_of_raising_and_restores_handlers():
    from mrcnn_tf.video.interrupt import StopOnSignal

    before = signal.getsignal(signal.SIGINT)
    with StopOnSignal(announce=False) as stop:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while not stop.event.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)  # a second one is ignored too
        time.sleep(0.05)
    assert stop.event.is_set() and stop.signal_name == "SIGINT"
    assert signal.getsignal(signal.SIGINT) is before
