"""detect() with torchvision's weights reproduces torchvision's own detections
(../shared/parity/torchvision/reference_tv_v1.npz and _v2.npz, box_score_thresh 0.3).

Criterion (README of the fixtures, evaluation.agreement), in full on each of the 6 references
(v1 / v2 x astronaut / coffee / chelsea): >= 95 % of the reference and of ours matched (same
class, box IoU >= 0.9), every matched score within 0.02, mean mask IoU >= 0.95, masks of the
image's size. The fixtures' weights keep RPN logits small enough that no tie of float32
scores touches torchvision's proposal cuts, so the result does not depend on any sort's order
among equal scores.
"""
from __future__ import annotations

import pytest

import mrcnn_tf
from mrcnn_tf.evaluation.agreement import compare_detections
from tests.helpers import REFERENCE_IMAGES, skimage_image, tv_reference_results

SCORE_THRESHOLD = 0.3  # box_score_thresh of the references
VERSIONS = ("v1", "v2")


@pytest.fixture(scope="module")
def tv_weight_paths(tv_v1_weights, tv_v2_weights):
    return {"v1": tv_v1_weights, "v2": tv_v2_weights}


@pytest.fixture(scope="module")
def tv_models(tv_weight_paths):
    """version -> model, each built once by MaskRCNN.from_weights when first asked for."""
    cache = {}

    def get(version):
        if version not in cache:
            cache[version] = mrcnn_tf.MaskRCNN.from_weights(
                tv_weight_paths[version], DETECTION_MIN_CONFIDENCE=SCORE_THRESHOLD)
        return cache[version]

    return get


def test_from_weights_reads_version_and_classes(tv_models):
    assert tv_models("v1").config.ARCHITECTURE == "torchvision_v1"
    assert tv_models("v2").config.ARCHITECTURE == "torchvision_v2"
    assert tv_models("v2").config.NUM_CLASSES == len(mrcnn_tf.TORCHVISION_COCO_CLASS_NAMES)


@pytest.mark.parametrize("name", REFERENCE_IMAGES)
@pytest.mark.parametrize("version", VERSIONS)
def test_reference_passes_in_full(tv_models, version, name):
    image = skimage_image(name)
    ours = tv_models(version).detect([image])[0]
    assert ours["rois"].dtype == "int32" and ours["class_ids"].dtype == "int32"
    assert ours["masks"].dtype == bool
    reference = tv_reference_results(version, name)
    assert len(reference["class_ids"]) > 0, f"{version} {name}: empty reference"
    agreement = compare_detections(reference, ours, image.shape[:2])
    assert agreement.passes(), f"{version} {name}: {agreement}"


def test_one_graph_for_all_sizes(tv_models):
    """Images of other sizes and a grayscale image reuse the compiled graph."""
    model = tv_models("v1")
    gray = skimage_image("camera")[:200, :300, 0]
    results = model.detect([gray, skimage_image("chelsea")[:150, :120]])
    assert results[0]["masks"].shape[:2] == (200, 300)
    assert results[1]["masks"].shape[:2] == (150, 120)
    assert model._detector._predict.experimental_get_tracing_count() == 1
