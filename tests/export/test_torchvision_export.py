"""export_saved_model for the torchvision family: the SavedModel answers what detect() says
(same rois, classes, scores; masks pasted by results_from_serving(family="torchvision") or
in the graph with mask_format="image")."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import mrcnn_tf
from mrcnn_tf.evaluation.agreement import mask_iou
from mrcnn_tf.export.serving_results import results_from_serving
from mrcnn_tf.export.saved_model import export_saved_model
from tests.export.conftest import encode
from tests.helpers import skimage_image

# small sizes keep the test fast; the resize rule is torchvision's all the same
SMALL = dict(IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=320, DETECTION_MIN_CONFIDENCE=0.3)


@pytest.fixture(scope="module")
def tv_model(tv_v1_weights):
    return mrcnn_tf.MaskRCNN.from_weights(tv_v1_weights, **SMALL)


def _assert_same(ours, served, image):
    """Same rois and classes in the same order, scores within 1e-4 (the graph molds with
    tf.image.resize, detect() with numpy: float rounding differs by ~1e-5), and each mask
    (pasted on the client or in the graph) as detect()'s."""
    np.testing.assert_array_equal(served["rois"], ours["rois"])
    np.testing.assert_array_equal(served["class_ids"], ours["class_ids"])
    np.testing.assert_allclose(served["scores"], ours["scores"], atol=1e-4)
    assert served["masks"].shape == ours["masks"].shape == image.shape[:2] + (len(ours["rois"]),)
    ious = [mask_iou(ours["masks"][..., k], served["masks"][..., k]) for k in range(len(ours["rois"]))]
    assert np.mean(ious) >= 0.99


@pytest.mark.parametrize("mask_format", ["box", "image"])
def test_served_detections_equal_detect(tv_model, tmp_path, mask_format):
    images = [skimage_image("chelsea"), skimage_image("coffee")[:200, :170]]
    if mask_format == "image":
        images = images[:1]
    version_dir = export_saved_model(tv_model, tmp_path / "tv", mask_format=mask_format)
    loaded = tf.saved_model.load(version_dir)
    answer = loaded.signatures["serving_default"](
        image_bytes=tf.constant([encode(image) for image in images]))
    assert set(answer) >= {"num_detections", "detection_boxes", "detection_classes",
                           "detection_scores", "detection_masks", "detection_class_names"}
    served = results_from_serving({k: v.numpy() for k, v in answer.items()},
                                  [image.shape for image in images], family="torchvision")
    for ours, theirs, image in zip(tv_model.detect(images), served, images):
        assert len(ours["class_ids"]) > 0
        _assert_same(ours, theirs, image)
    names = answer["detection_class_names"].numpy()[0]
    first_class = int(answer["detection_classes"].numpy()[0, 0])
    assert names[0].decode() == mrcnn_tf.TORCHVISION_COCO_CLASS_NAMES[first_class]
