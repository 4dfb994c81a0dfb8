"""Each runtime's detections equal detect()'s on the parity weights (criterion of
../shared/parity/README.md, evaluation.agreement): matterport ResNet-101 at 1024 and
torchvision v2 (smaller size), on skimage's astronaut, coffee and chelsea."""
from __future__ import annotations

import functools

import pytest

from mrcnn_tf.evaluation.agreement import compare_detections
from tests.helpers import REFERENCE_IMAGES, skimage_image
from tests.runtime.conftest import FORMATS


@functools.lru_cache(maxsize=None)
def _reference(model, name):
    return model.detect([skimage_image(name)])[0]


def _check(model, exported, name):
    from mrcnn_tf import runtime

    image = skimage_image(name)
    ours = runtime.load(exported).detect([image])[0]
    assert ours["rois"].dtype == "int32" and ours["class_ids"].dtype == "int32"
    assert ours["masks"].dtype == bool
    reference = _reference(model, name)
    assert len(reference["class_ids"]) > 0, f"{name}: no detection to compare"
    agreement = compare_detections(reference, ours, image.shape[:2])
    assert agreement.passes(), f"{name}: {agreement}"


@pytest.mark.parametrize("name", REFERENCE_IMAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_matterport_r101_1024_equals_detect(r101_parity_model, r101_exports, fmt, name):
    _check(r101_parity_model, r101_exports(fmt), name)


@pytest.mark.parametrize("name", REFERENCE_IMAGES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_torchvision_v2_equals_detect(tv_v2_small_model, tv_v2_exports, fmt, name):
    _check(tv_v2_small_model, tv_v2_exports(fmt), name)
