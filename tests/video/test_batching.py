"""BatchSizer: tries larger batches while they pay off, then keeps the best size."""
from __future__ import annotations

import pytest

from mrcnn_tf.video.batching import BatchSizer, detect_batch


def settle(sizer, seconds_per_frame) -> list:
    """Feed calls timed by seconds_per_frame[size] until the sizer settles; sizes used."""
    used = []
    for _ in range(50):
        if sizer.settled:
            break
        used.append(sizer.current)
        sizer.record(sizer.current, seconds_per_frame[sizer.current] * sizer.current)
    return used


def test_larger_batches_are_kept_while_they_cut_the_time_per_frame():
    sizer = BatchSizer(max_size=8)
    used = settle(sizer, {1: 1.0, 2: 0.5, 4: 0.45, 8: 0.2})
    assert sizer.current == 2  # 4 is only 10% faster per frame than 2: not worth it
    assert used == [1, 1, 1, 2, 2, 4, 4]  # the first call (graph tracing) is not timed


def test_no_gain_keeps_single_frames():
    sizer = BatchSizer()
    settle(sizer, {1: 1.0, 2: 1.1, 4: 1.0, 8: 1.0})
    assert sizer.current == 1


def test_max_size_and_fixed_size():
    sizer = BatchSizer(max_size=2)
    settle(sizer, {1: 1.0, 2: 0.3, 4: 0.1, 8: 0.1})
    assert sizer.current == 2
    fixed = BatchSizer(3)
    assert fixed.settled and fixed.current == 3
    with pytest.raises(ValueError):
        BatchSizer(0)


class Model:
    def __init__(self):
        self.seen = []

    def detect(self, images, verbose=0, batch_size=None):
        self.seen.append(batch_size)
        return [None] * len(images)


class OldModel:
    def detect(self, images):
        return ["old"] * len(images)


def test_detect_batch_runs_the_frames_in_one_batch():
    model = Model()
    assert detect_batch(model, [0, 1, 2]) == [None] * 3
    assert model.seen == [3]
    assert detect_batch(OldModel(), [0, 1]) == ["old"] * 2
