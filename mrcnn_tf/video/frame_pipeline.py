"""The main loop of a video run: model on every N-th frame, in batches, then tracking.

Frames arrive decoded (reader thread) and leave in order to the writer thread. A frame the
model runs on waits until its batch is full; the frames after it wait for its result, which
they carry (with its track ids and colours) until the next processed frame. So at most
``batch * every`` frames are held, and memory stays flat.
"""
from __future__ import annotations

import time

import numpy as np

from mrcnn_tf.results import empty_result
from mrcnn_tf.video.batching import detect_batch
from mrcnn_tf.video.writer import OutputFrame


class FramePipeline:
    """model: has detect(list of RGB frames) -> results; postprocess: callable(result) ->
    result (class / score filtering); tracker: a Tracker; writer: a BackgroundWriter;
    every: run the model on every N-th frame; sizer: a BatchSizer; stop: threading.Event
    that ends the loop (frames not yet handed to the writer are dropped)."""

    def __init__(self, *, model, postprocess, tracker, writer, every: int, sizer, stop,
                 frame_shape):
        self.model = model
        self.postprocess = postprocess
        self.tracker = tracker
        self.writer = writer
        self.every = every
        self.sizer = sizer
        self.stop = stop
        self.read = 0
        self.processed = 0
        self.model_seconds = 0.0
        self._next_index = 0  # output index of the next frame handed to the writer
        self._pending = []  # [(frame, runs the model)] waiting for the batch's results
        self._carried = (empty_result(*frame_shape[:2]), np.zeros(0, np.int32), [])

    def run(self, frames) -> bool:
        """Process frames until they end (returns True) or stop is set (returns False)."""
        for frame in frames:
            if self.stop.is_set():
                return False
            runs_model = self.read % self.every == 0
            self.read += 1
            if runs_model or self._pending:
                self._pending.append((frame, runs_model))
                if runs_model and self._batch_count() >= self.sizer.current:
                    self._flush()
            else:
                self._emit(frame, processed=False)
        if self.stop.is_set():
            return False
        self._flush()
        return True

    def _batch_count(self) -> int:
        return sum(1 for _, runs_model in self._pending if runs_model)

    def _flush(self) -> None:
        if not self._pending:
            return
        images = [frame.image for frame, runs_model in self._pending if runs_model]
        start = time.perf_counter()
        results = detect_batch(self.model, images)
        seconds = time.perf_counter() - start
        self.model_seconds += seconds
        self.sizer.record(len(images), seconds)
        results = iter(results)
        pending, self._pending = self._pending, []
        for frame, runs_model in pending:
            if runs_model:
                result = self.postprocess(next(results))
                track_ids = self.tracker.update(result)
                self._carried = (result, track_ids, self.tracker.colors(track_ids))
                self.processed += 1
            self._emit(frame, processed=runs_model)

    def _emit(self, frame, *, processed: bool) -> None:
        result, track_ids, colors = self._carried
        self.writer.put(OutputFrame(self._next_index, frame, result, track_ids, colors,
                                    processed))
        self._next_index += 1
