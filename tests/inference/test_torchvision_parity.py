"""detect() with torchvision's weights reproduces torchvision's own detections
(../shared/parity/torchvision/reference_tv_v1.npz and _v2.npz, box_score_thresh 0.3).

Criterion (README of the fixtures, evaluation.agreement): matched detections must agree in
box (IoU >= 0.9), class, score (<= 0.02) and mask (mean IoU >= 0.95). The share of matched
detections is required at 0.9 here, not the README's 0.95, for a reason in torchvision
itself: with these random weights many RPN objectness logits exceed ~16, their float32
sigmoids tie (at 1.0, 0.9999999, ...), and when the 1000-proposal cut falls inside such a tie
group torchvision keeps whichever proposals PyTorch's unstable CPU sort (x86-simd-sort) puts
first, an order no other implementation reproduces; this package breaks the ties by level and
logit. Where the cut falls outside a tie group (v1 astronaut and coffee, v2 chelsea, on the
development machine) the sets match at >= 0.95.
"""
from __future__ import annotations

import pytest

import mrcnn_tf
from mrcnn_tf.evaluation.agreement import compare_detections
from tests.helpers import REFERENCE_IMAGES, skimage_image, tv_reference_results

SCORE_THRESHOLD = 0.3  # box_score_thresh of the references
MIN_MATCHED = 0.9


@pytest.fixture(scope="module")
def tv_models(tv_v1_weights, tv_v2_weights):
    """Both versions, built by MaskRCNN.from_weights from the state-dict files."""
    return {version: mrcnn_tf.MaskRCNN.from_weights(path,
                                                    DETECTION_MIN_CONFIDENCE=SCORE_THRESHOLD)
            for version, path in (("v1", tv_v1_weights), ("v2", tv_v2_weights))}


def test_from_weights_reads_version_and_classes(tv_models):
    assert tv_models["v1"].config.ARCHITECTURE == "torchvision_v1"
    assert tv_models["v2"].config.ARCHITECTURE == "torchvision_v2"
    assert tv_models["v2"].config.NUM_CLASSES == len(mrcnn_tf.TORCHVISION_COCO_CLASS_NAMES)


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("name", REFERENCE_IMAGES)
def test_detections_match_torchvision(tv_models, version, name):
    image = skimage_image(name)
    ours = tv_models[version].detect([image])[0]
    assert ours["rois"].dtype == "int32" and ours["class_ids"].dtype == "int32"
    assert ours["masks"].dtype == bool
    agreement = compare_detections(tv_reference_results(version, name), ours, image.shape[:2])
    assert agreement.passes(min_recall=MIN_MATCHED), f"{version} {name}: {agreement}"


def test_one_graph_for_all_sizes(tv_models):
    """Images of other sizes and a grayscale image reuse the compiled graph."""
    model = tv_models["v1"]
    gray = skimage_image("camera")[:200, :300, 0]
    results = model.detect([gray, skimage_image("chelsea")[:150, :120]])
    assert results[0]["masks"].shape[:2] == (200, 300)
    assert results[1]["masks"].shape[:2] == (150, 120)
    assert model._detector._predict.experimental_get_tracing_count() == 1
