"""Detector: detect(..., masks=False) runs a second compiled graph that stops at the
detections, for both model families, and gives the boxes, classes and scores of masks=True."""
from __future__ import annotations

import numpy as np
import pytest

import mrcnn_tf
from tests.helpers import skimage_image

# small sizes keep the test fast; min score 0.3 so the seed-0 weights find objects
SMALL_TV = dict(IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=320, DETECTION_MIN_CONFIDENCE=0.3)
# a layer of each family's mask head (matterport: mrcnn_mask_conv1 ...; torchvision's pool)
MASK_HEAD = {"matterport": "mrcnn_mask", "torchvision_v1": "mask_roi_pool"}


@pytest.fixture(scope="module")
def matterport_model(r50_weights):
    return mrcnn_tf.MaskRCNN.from_weights(r50_weights, IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                                          IMAGE_MAX_DIM=256, DETECTION_MIN_CONFIDENCE=0.3)


@pytest.fixture(scope="module")
def torchvision_model(tv_v1_weights):
    return mrcnn_tf.MaskRCNN.from_weights(tv_v1_weights, **SMALL_TV)


@pytest.fixture(params=["matterport", "torchvision"])
def model(request):
    return request.getfixturevalue(f"{request.param}_model")


def _graph_ops(function):
    return [op.name for op in function.get_concrete_function().graph.get_operations()]


def test_boxes_only_equal_the_full_results_without_masks(model):
    images = [skimage_image("coffee"), skimage_image("chelsea")[:200, :300]]
    full = model.detect(images)
    boxes = model.detect(images, masks=False)
    assert sum(len(r["scores"]) for r in full) > 0, "the test weights find objects"
    for with_masks, without in zip(full, boxes):
        assert set(without) == {"rois", "class_ids", "scores"}
        for key in without:
            assert without[key].dtype == with_masks[key].dtype
            np.testing.assert_array_equal(without[key], with_masks[key], err_msg=key)


def test_the_boxes_graph_leaves_the_mask_head_out_and_is_traced_once(model):
    model.detect([skimage_image("coffee")], masks=False)
    model.detect([skimage_image("astronaut")[:256, :192]], masks=False)  # another size
    detector = model._detector
    assert detector._predict_boxes.experimental_get_tracing_count() == 1
    mask_layer = MASK_HEAD[model.config.ARCHITECTURE]
    assert any(mask_layer in name for name in _graph_ops(detector._predict))
    assert not any(mask_layer in name for name in _graph_ops(detector._predict_boxes))


def test_results_without_masks_draw_and_filter(matterport_model):
    image = skimage_image("coffee")
    result = matterport_model.detect([image], masks=False)[0]
    kept = mrcnn_tf.filter_result(result, mrcnn_tf.COCO_CLASS_NAMES, min_score=0.5)
    assert "masks" not in kept and (kept["scores"] >= 0.5).all()
    picture = mrcnn_tf.visualize.draw_instances(image, result, mrcnn_tf.COCO_CLASS_NAMES)
    assert picture.shape == image.shape and (picture != image).any()
    with pytest.raises(ValueError, match="masks=False"):
        mrcnn_tf.results.to_coco(result, 1, mrcnn_tf.COCO_CLASS_NAMES)
