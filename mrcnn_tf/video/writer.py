"""Drawing and encoding on a background thread, in frame order, with the JSON lines.

The main thread hands over ``OutputFrame`` items; the thread renders each frame, encodes
it, then writes the frame's JSON line (processed frames only), so the JSONL never runs ahead
of the video. The queue is bounded, so a slow encoder holds the pipeline back instead of
filling memory.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time

import numpy as np

from mrcnn_tf.video.jsonl import frame_record

QUEUE_FRAMES = 8  # frames waiting to be drawn and encoded
POLL_SECONDS = 0.1
_END = object()


@dataclasses.dataclass
class OutputFrame:
    """A frame to write: output index, source frame, RGB uint8 [H, W, 3], the result to draw
    (tracked), its track ids int [N] and colours, and whether the model ran on this frame
    (then it gets a JSON line)."""

    index: int
    source: object  # source.Frame
    result: dict
    track_ids: np.ndarray
    colors: list
    processed: bool


class BackgroundWriter:
    """Render + encode + JSONL on a thread.

    encoder: an encode.*Encoder or None (no video); render: callable(image, result, colors)
    -> RGB uint8 image; jsonl: a JsonlWriter or None; class_names: for the JSON lines;
    on_written: called with no argument after each frame (progress).
    """

    def __init__(self, *, encoder, render, jsonl, class_names, on_written=None,
                 maxsize: int = QUEUE_FRAMES):
        self.encoder = encoder
        self.render = render
        self.jsonl = jsonl
        self.class_names = class_names
        self.on_written = on_written
        self.written = 0
        self.seconds = 0.0  # time spent drawing, encoding and writing JSON
        self.error = None
        self._queue = queue.Queue(maxsize=maxsize)
        self._thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
        self._thread.start()

    def put(self, item: OutputFrame) -> None:
        """Queue a frame; re-raises the thread's error if it failed."""
        while True:
            if self.error is not None:
                raise self.error
            try:
                self._queue.put(item, timeout=POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _run(self):
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self.error is not None:
                continue  # drain so put() never blocks; the error is reported once
            try:
                start = time.perf_counter()
                self._write(item)
                self.seconds += time.perf_counter() - start
            except BaseException as err:
                self.error = err

    def _write(self, item: OutputFrame) -> None:
        if self.encoder is not None:
            self.encoder.write(self.render(item.source.image, item.result, item.colors))
        if item.processed and self.jsonl is not None:
            self.jsonl.write(frame_record(item.result, item.track_ids, self.class_names,
                                          frame=item.index, source_frame=item.source.index,
                                          time=item.source.time))
        self.written += 1
        if self.on_written is not None:
            self.on_written()

    def finish(self) -> None:
        """Write every queued frame, then close the encoder (finalizing the container) and
        the JSONL file. Re-raises the first error of the thread or of closing."""
        self._queue.put(_END)
        self._thread.join()
        errors = [self.error]
        for closable in (self.encoder, self.jsonl):
            if closable is None:
                continue
            try:
                closable.close()
            except Exception as err:
                errors.append(err)
        error = next((e for e in errors if e is not None), None)
        if error is not None:
            raise error
