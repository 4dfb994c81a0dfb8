"""filter_result: target classes by name (case-insensitive) and a minimum score."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf import filter_result
from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.filtering import class_ids_for, nearest_names
from tests.visualize.conftest import make_result


@pytest.fixture
def result():
    return make_result(300, 451)  # cat 0.97, person 0.81, person 0.66


def test_keeps_only_the_target_classes_in_order(result):
    before = {k: v.copy() for k, v in result.items()}
    kept = filter_result(result, COCO_CLASS_NAMES, classes=["PERSON"])
    np.testing.assert_array_equal(kept["class_ids"], [1, 1])
    np.testing.assert_array_equal(kept["rois"], result["rois"][1:])
    np.testing.assert_array_equal(kept["masks"], result["masks"][:, :, 1:])
    np.testing.assert_array_equal(kept["scores"], result["scores"][1:])
    for key in result:
        np.testing.assert_array_equal(result[key], before[key])


def test_comma_separated_names_spaces_case_and_underscores(result):
    kept = filter_result(result, COCO_CLASS_NAMES, classes=" Cat , person")
    assert len(kept["class_ids"]) == 3
    assert class_ids_for("Traffic_Light,hot-dog,  TEDDY   bear", COCO_CLASS_NAMES) == [10, 53, 78]
    assert class_ids_for([16, "cat"], COCO_CLASS_NAMES) == [16]


def test_min_score(result):
    kept = filter_result(result, COCO_CLASS_NAMES, min_score=0.8)
    np.testing.assert_array_equal(kept["class_ids"], [16, 1])
    kept = filter_result(result, COCO_CLASS_NAMES, classes="person", min_score=0.7)
    np.testing.assert_allclose(kept["scores"], [0.81])


def test_nothing_left_has_the_right_shapes(result):
    kept = filter_result(result, COCO_CLASS_NAMES, classes="dog")
    assert kept["rois"].shape == (0, 4) and kept["masks"].shape == (300, 451, 0)


def test_a_result_without_masks_is_filtered_and_stays_without_masks(result):
    boxes_only = {k: result[k] for k in ("rois", "class_ids", "scores")}
    kept = filter_result(boxes_only, COCO_CLASS_NAMES, classes="person", min_score=0.7)
    assert set(kept) == {"rois", "class_ids", "scores"}
    np.testing.assert_array_equal(kept["rois"], result["rois"][1:2])
    np.testing.assert_allclose(kept["scores"], [0.81])


def test_unknown_name_lists_the_nearest_valid_names(result):
    with pytest.raises(ValueError, match=r"unknown class 'hair dryer'; did you mean 'hair drier'"):
        filter_result(result, COCO_CLASS_NAMES, classes="hair dryer")
    assert nearest_names("motorbike", COCO_CLASS_NAMES)[0] == "motorcycle"
    assert "tv" in nearest_names("tv monitor", COCO_CLASS_NAMES)
    with pytest.raises(ValueError) as err:
        class_ids_for("persn,cat,sofa", COCO_CLASS_NAMES)
    message = str(err.value)
    assert "'persn'; did you mean 'person'" in message and "'sofa'" in message
    assert "'cat'" not in message


def test_background_and_bad_ids_are_refused():
    with pytest.raises(ValueError, match="background class"):
        class_ids_for("bg", COCO_CLASS_NAMES)
    with pytest.raises(ValueError, match="class id 81 is out of range 1-80"):
        class_ids_for([81], COCO_CLASS_NAMES)
    with pytest.raises(ValueError, match="no class names given"):
        class_ids_for(" , ", COCO_CLASS_NAMES)


def test_custom_class_lists():
    names = ["BG", "Balloon", "Red kite"]
    assert class_ids_for("balloon,red_kite", names) == [1, 2]
    with pytest.raises(ValueError, match="did you mean 'Balloon'"):
        class_ids_for("baloon", names)
