"""extract_instances / save_instances: RGBA cut-outs whose alpha is the mask."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from mrcnn_tf import extract_instances, save_instances
from mrcnn_tf.class_names import COCO_CLASS_NAMES
from tests.helpers import skimage_image
from tests.visualize.conftest import make_result


@pytest.fixture
def photo():
    return skimage_image("chelsea")


@pytest.fixture
def result(photo):
    return make_result(*photo.shape[:2])


def test_one_cut_out_per_detection_with_the_mask_as_alpha(photo, result):
    before = photo.copy()
    items = extract_instances(photo, result, COCO_CLASS_NAMES)
    assert [i.class_name for i in items] == ["cat", "person", "person"]
    for k, item in enumerate(items):
        y1, x1, y2, x2 = result["rois"][k]
        assert item.index == k and item.box == (y1, x1, y2, x2)
        assert item.rgba.shape == (y2 - y1, x2 - x1, 4) and item.rgba.dtype == np.uint8
        np.testing.assert_array_equal(item.rgba[..., 3] == 255, result["masks"][y1:y2, x1:x2, k])
        assert set(np.unique(item.rgba[..., 3])) <= {0, 255}
        np.testing.assert_array_equal(item.rgba[..., :3], photo[y1:y2, x1:x2])
        assert item.mask_area == result["masks"][:, :, k].sum()
        assert item.score == pytest.approx(result["scores"][k])
    np.testing.assert_array_equal(photo, before)


def test_saved_pngs_keep_the_alpha(photo, result, tmp_path):
    items = extract_instances(photo, result, COCO_CLASS_NAMES)
    paths = save_instances(items, tmp_path / "objects")
    assert [p.name for p in paths] == ["000_cat.png", "001_person.png", "002_person.png"]
    for item, path in zip(items, paths):
        bgra = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA), item.rgba)
    assert sorted(p.name for p in (tmp_path / "objects").iterdir()) == [p.name for p in paths]


def test_file_names_are_safe(photo, result, tmp_path):
    names = list(COCO_CLASS_NAMES)
    names[16] = "traffic light/Ampel"
    (path, *_) = save_instances(extract_instances(photo, result, names), tmp_path)
    assert path.name == "000_traffic_light_Ampel.png"


def test_grayscale_and_16_bit_images(photo, result):
    gray = extract_instances(photo[..., 0], result, COCO_CLASS_NAMES)[0].rgba
    assert gray.shape[2] == 4 and (gray[..., 0] == gray[..., 2]).all()
    wide = extract_instances(photo.astype(np.uint16) * 257, result, COCO_CLASS_NAMES)[0].rgba
    np.testing.assert_array_equal(wide, extract_instances(photo, result, COCO_CLASS_NAMES)[0].rgba)
