"""A real photo with hand-made detections whose geometry the tests know exactly."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import skimage_image

CAT, PERSON = 16, 1  # COCO class ids


def _box_of(mask, pad):
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    return [max(ys.min() - pad, 0), max(xs.min() - pad, 0), min(ys.max() + 1 + pad, h),
            min(xs.max() + 1 + pad, w)]


def make_result(height, width):
    """Three detections: a disk (cat), a rectangle touching the top edge (person) and a
    triangle (person). Boxes enclose the masks with a margin, as real boxes do."""
    yy, xx = np.mgrid[:height, :width]
    disk = (yy - 150) ** 2 + (xx - 200) ** 2 <= 60 ** 2
    rect = (yy < 70) & (xx >= 300) & (xx < 420)
    triangle = (yy >= 190) & (yy < 280) & (xx >= 320) & (xx - 320 <= yy - 190)
    masks = np.stack([disk, rect, triangle], axis=-1)
    rois = np.array([_box_of(disk, 4), _box_of(rect, 0), _box_of(triangle, 6)], np.int32)
    return {"rois": rois, "class_ids": np.array([CAT, PERSON, PERSON], np.int32),
            "scores": np.array([0.97, 0.81, 0.66], np.float32), "masks": masks}


@pytest.fixture
def photo():
    """skimage's chelsea, uint8 RGB 300x451."""
    return skimage_image("chelsea")


@pytest.fixture
def result(photo):
    return make_result(*photo.shape[:2])


def box_bands(rois, shape, width):
    """bool [H, W]: the band of `width` pixels inside each box (y2/x2 exclusive)."""
    bands = np.zeros(shape[:2], bool)
    for y1, x1, y2, x2 in rois:
        outer = np.zeros(shape[:2], bool)
        outer[y1:y2, x1:x2] = True
        inner = np.zeros(shape[:2], bool)
        inner[y1 + width:y2 - width, x1 + width:x2 - width] = True
        bands |= outer & ~inner
    return bands
