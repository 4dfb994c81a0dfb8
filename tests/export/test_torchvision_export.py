"""export_saved_model for the torchvision family: the SavedModel answers what detect() says
(rois, classes, scores and masks, pasted by results_from_serving(family="torchvision") or in
the graph with mask_format="image"), judged by the parity criterion (evaluation.agreement):
the graph molds with tf.image.resize and detect() with numpy, so boxes, scores and the order
of near-equal scores may differ by float rounding."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import mrcnn_tf
from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.export.serving_results import results_from_serving
from mrcnn_tf.export.saved_model import export_saved_model
from tests.export.conftest import encode
from tests.helpers import skimage_image

# small sizes keep the test fast; the resize rule is torchvision's all the same
SMALL = dict(IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=320, DETECTION_MIN_CONFIDENCE=0.3)


@pytest.fixture(scope="module")
def tv_model(tv_v1_weights):
    return mrcnn_tf.MaskRCNN.from_weights(tv_v1_weights, **SMALL)


def _assert_agree(ours, served, image):
    """served (a result dict from results_from_serving) agrees with detect()'s result ours for
    image [H, W, 3] under the parity criterion: >= 95 % matched both ways (same class, box IoU
    >= 0.9), scores within 0.02, mean mask IoU >= 0.95, masks [H, W, N] of the image's size."""
    assert served["rois"].dtype == np.int32 and served["class_ids"].dtype == np.int32
    assert served["masks"].dtype == bool
    assert served["masks"].shape == image.shape[:2] + (len(served["rois"]),)
    assert len(served["scores"]) == len(served["class_ids"]) == len(served["rois"])
    threshold = SMALL["DETECTION_MIN_CONFIDENCE"]
    assert np.all(served["scores"] >= threshold - 1e-6), served["scores"]
    assert np.all(np.diff(served["scores"]) <= 1e-6), "scores not in descending order"
    agreement = compare_detections(ours, served, image.shape[:2])
    assert agreement.passes(), str(agreement)


@pytest.mark.parametrize("mask_format", ["box", "image"])
def test_served_detections_agree_with_detect(tv_model, tmp_path, mask_format):
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
        _assert_agree(ours, theirs, image)
    names = answer["detection_class_names"].numpy()[0]
    first_class = int(answer["detection_classes"].numpy()[0, 0])
    assert names[0].decode() == mrcnn_tf.TORCHVISION_COCO_CLASS_NAMES[first_class]
