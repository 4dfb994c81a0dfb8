"""Running the model on several frames at once, with the batch size that is fastest here.

A video run passes ``MaskRCNN.detect`` a batch of frames with ``batch_size`` = their number,
so they go through the graph in one call. On a GPU a batch of several frames usually costs
little more than one; on a CPU it rarely helps.
``BatchSizer`` finds out: it times batches of 1, 2, 4, ... frames on the first frames of the
video and keeps the largest size that still cuts the time per frame by ``min_gain``.
"""
from __future__ import annotations

import inspect

CANDIDATES = (1, 2, 4, 8)
TRIALS = 2  # timed calls per candidate size
MIN_GAIN = 0.15  # a larger batch is kept only if it cuts the time per frame by this share


def detect_batch(model, frames) -> list:
    """model.detect(frames) with all frames in one graph call. frames: list of RGB uint8
    [H, W, 3]. Returns one result dict per frame. A model whose detect() takes no
    ``batch_size`` (a stand-in with matterport's older signature) gets the frames alone."""
    if _takes_batch_size(model.detect):
        return model.detect(frames, batch_size=len(frames))
    return model.detect(frames)


def _takes_batch_size(function) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "batch_size" or p.kind is p.VAR_KEYWORD for p in parameters)


class BatchSizer:
    """The batch size to use next.

    size: a fixed batch size, or None to choose one by timing (see the module docstring);
    max_size: the largest size tried. Call ``record(frames, seconds)`` after each model call.
    The first call (graph tracing) is not timed.
    """

    def __init__(self, size=None, *, max_size: int = CANDIDATES[-1], trials: int = TRIALS,
                 min_gain: float = MIN_GAIN):
        if size is not None and (int(size) != size or size < 1):
            raise ValueError(f"batch_size={size!r}: expected a positive whole number or None")
        self.fixed = size is not None
        self.candidates = [c for c in CANDIDATES if c <= max(1, max_size)]
        self.trials = trials
        self.min_gain = min_gain
        self.current = int(size) if self.fixed else 1
        self.settled = self.fixed
        self._warm = False
        self._times = []  # seconds per frame of the current candidate's calls
        self._best = None  # (size, seconds per frame)

    def record(self, frames: int, seconds: float) -> None:
        if self.settled or frames != self.current:
            return
        if not self._warm:
            self._warm = True
            return
        self._times.append(seconds / frames)
        if len(self._times) < self.trials:
            return
        per_frame = min(self._times)
        self._times = []
        if self._best is not None and per_frame > self._best[1] * (1 - self.min_gain):
            self._settle(self._best[0])
            return
        self._best = (self.current, per_frame)
        bigger = [c for c in self.candidates if c > self.current]
        if bigger:
            self.current = bigger[0]
        else:
            self._settle(self.current)

    def _settle(self, size: int) -> None:
        self.current = size
        self.settled = True
