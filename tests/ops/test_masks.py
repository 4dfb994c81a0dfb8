"""ops.masks: pasting 28x28 soft masks into full-image boolean masks."""
from __future__ import annotations

import numpy as np
import skimage.transform

from mrcnn_tf.ops.masks import paste_masks, unmold_mask

IMAGE_SHAPE = (60, 80, 3)
BOX = (10, 20, 41, 70)   # 31 x 50 pixels, y2/x2 exclusive


def _soft_mask(seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    disc = ((yy - 13.5) ** 2 + (xx - 13.5) ** 2 < 100).astype(np.float32)
    return np.clip(disc * 0.8 + rng.uniform(-0.15, 0.15, (28, 28)), 0, 1).astype(np.float32)


def test_constant_one_mask_fills_box_exactly():
    full = unmold_mask(np.ones((28, 28), np.float32), BOX, IMAGE_SHAPE)
    assert full.shape == IMAGE_SHAPE[:2] and full.dtype == bool
    expected = np.zeros(IMAGE_SHAPE[:2], bool)
    expected[10:41, 20:70] = True
    np.testing.assert_array_equal(full, expected)


def test_matches_skimage_resize_and_is_false_outside_box():
    mask = _soft_mask()
    full = unmold_mask(mask, BOX, IMAGE_SHAPE)
    y1, x1, y2, x2 = BOX
    resized = skimage.transform.resize(mask, (y2 - y1, x2 - x1), order=1, mode="constant",
                                       anti_aliasing=False)
    np.testing.assert_array_equal(full[y1:y2, x1:x2], resized >= 0.5)
    outside = full.copy()
    outside[y1:y2, x1:x2] = False
    assert not outside.any()
    assert 0 < full.sum() < (y2 - y1) * (x2 - x1)


def test_threshold_argument():
    mask = np.full((28, 28), 0.3, np.float32)
    assert not unmold_mask(mask, BOX, IMAGE_SHAPE).any()
    assert unmold_mask(mask, BOX, IMAGE_SHAPE, threshold=0.25).sum() == 31 * 50
    # the threshold is inclusive (mask >= 0.5), as matterport's
    half = unmold_mask(np.full((28, 28), 0.5, np.float32), BOX, IMAGE_SHAPE)
    assert half.sum() == 31 * 50


def test_zero_area_box_gives_all_false():
    for box in [(10, 20, 10, 70), (10, 20, 41, 20), (30, 30, 20, 40)]:
        full = unmold_mask(np.ones((28, 28)), box, IMAGE_SHAPE)
        assert full.shape == IMAGE_SHAPE[:2] and not full.any()


def test_paste_masks_shape_and_content():
    boxes = np.array([BOX, (0, 0, 5, 5), (50, 70, 60, 80)])
    masks = np.stack([_soft_mask(0), np.ones((28, 28)), np.ones((28, 28))]).astype(np.float32)
    full = paste_masks(masks, boxes, IMAGE_SHAPE)
    assert full.shape == (60, 80, 3) and full.dtype == bool
    for i in range(3):
        np.testing.assert_array_equal(full[..., i], unmold_mask(masks[i], boxes[i], IMAGE_SHAPE))
    assert full[..., 1].sum() == 25 and full[..., 2].sum() == 100
    assert paste_masks(np.zeros((0, 28, 28)), np.zeros((0, 4), int), IMAGE_SHAPE).shape == (60, 80, 0)


def test_opencv_pasting_gives_skimages_masks():
    """library="opencv": the same pixels as scikit-image's paste (boxes clipped by the image
    edge, a constant mask, a soft one); only a value within float rounding of the threshold
    could differ, and these masks have none."""
    boxes = np.array([BOX, (-5, -8, 30, 40), (45, 60, 75, 95), (0, 0, 5, 5)])
    masks = np.stack([_soft_mask(0), _soft_mask(1), _soft_mask(2),
                      np.ones((28, 28))]).astype(np.float32)
    exact = paste_masks(masks, boxes, IMAGE_SHAPE)
    fast = paste_masks(masks, boxes, IMAGE_SHAPE, library="opencv")
    np.testing.assert_array_equal(fast, exact)
    assert exact[..., 3].sum() == 25 and 0 < exact[..., 1].sum() < exact[..., 3].size
