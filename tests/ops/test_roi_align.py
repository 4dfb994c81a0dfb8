"""ops.roi_align: level assignment (FPN Eqn. 1) and pyramid ROIAlign against per-box crops."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.ops.roi_align import pyramid_roi_align, roi_levels

SIDE = 1024.0


def _square(pixels, y=100.0, x=50.0):
    """A normalized square box of `pixels` side in a SIDE x SIDE image."""
    return [y / SIDE, x / SIDE, (y + pixels) / SIDE, (x + pixels) / SIDE]


def _np_level(box, image_area):
    h, w = box[2] - box[0], box[3] - box[1]
    if h * w <= 0:
        return 2
    level = 4 + np.round(np.log2(np.sqrt(h * w) / (224.0 / np.sqrt(image_area))))
    return int(min(5, max(2, level)))


@pytest.mark.parametrize("pixels, level", [(224, 4), (112, 3), (448, 5), (10, 2), (56, 2),
                                           (1000, 5), (0, 2)])
def test_roi_levels_worked_examples(pixels, level):
    boxes = tf.constant([_square(pixels)], tf.float32)
    out = roi_levels(boxes, SIDE * SIDE).numpy()
    assert out.dtype == np.int32
    assert out.tolist() == [level]


def test_roi_levels_zero_padding_box_and_batch_shape():
    boxes = tf.constant([[[0, 0, 0, 0], _square(224)], [_square(448), [0, 0, 1, 1]]], tf.float32)
    out = roi_levels(boxes, SIDE * SIDE).numpy()
    np.testing.assert_array_equal(out, [[2, 4], [5, 5]])


def test_roi_levels_of_a_nan_box_is_the_lowest_level():
    """Every box gets a level in [2, 5], so pyramid_roi_align returns one crop per box."""
    boxes = tf.constant([[np.nan, 0, 1, 1], _square(448)], tf.float32)
    np.testing.assert_array_equal(roi_levels(boxes, SIDE * SIDE).numpy(), [2, 5])


def _random_boxes(rng, batch, count):
    """Normalized boxes with sides from ~2% to ~90% of the image, so every level is used."""
    sides = np.exp(rng.uniform(np.log(0.02), np.log(0.9), (batch, count, 2)))
    corners = rng.uniform(0, 1, (batch, count, 2)) * (1 - sides)
    return np.concatenate([corners, corners + sides], -1).astype(np.float32)


def test_pyramid_roi_align_matches_per_box_crops():
    rng = np.random.default_rng(1)
    batch, count, pool, channels = 2, 12, 3, 4
    maps = [rng.normal(size=(batch, s, s, channels)).astype(np.float32) for s in (32, 16, 8, 4)]
    boxes = _random_boxes(rng, batch, count)
    boxes[1, -1] = 0.0   # a zero padding row
    image_shape = tf.constant([1024, 1024, 3])
    out = pyramid_roi_align(tf.constant(boxes), [tf.constant(m) for m in maps], image_shape,
                            pool).numpy()
    assert out.shape == (batch, count, pool, pool, channels)

    levels = set()
    for b in range(batch):
        for n in range(count):
            level = _np_level(boxes[b, n], SIDE * SIDE)
            levels.add(level)
            expected = tf.image.crop_and_resize(maps[level - 2][b:b + 1], boxes[b, n][None],
                                                [0], [pool, pool], method="bilinear").numpy()[0]
            np.testing.assert_allclose(out[b, n], expected, atol=1e-5,
                                       err_msg=f"image {b} box {n} level {level}")
    assert levels == {2, 3, 4, 5}, "the example should exercise every level"
    assert np.isfinite(out).all()


def test_pyramid_roi_align_boxes_of_one_level_keep_order():
    """Boxes given in mixed level order come back in their input order."""
    maps = [tf.fill([1, s, s, 1], float(level)) for s, level in ((16, 2), (8, 3), (4, 4), (2, 5))]
    boxes = tf.constant([[_square(448), _square(20), _square(224), _square(112), _square(900)]],
                        tf.float32)
    out = pyramid_roi_align(boxes, maps, [1024, 1024], 2).numpy()
    # each crop of a constant map is that map's level
    np.testing.assert_allclose(out[0, :, 0, 0, 0], [5, 2, 4, 3, 5])
