"""MaskRCNN.from_weights: the Config comes from the weights file and the overrides, the
weights are loaded, and detections match a model built and loaded by hand."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf import Config, MaskRCNN
from tests.helpers import skimage_image

# DETECTION_MIN_CONFIDENCE 0.3: the seed-0 test weights score below the default 0.7 at this
# size, and comparing two empty result sets would prove nothing.
OVERRIDES = dict(IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=256, DETECTION_MIN_CONFIDENCE=0.3)


class OneImageConfig(Config):
    IMAGES_PER_GPU = 1


@pytest.fixture(scope="module")
def from_file(r50_weights):
    return MaskRCNN.from_weights(r50_weights, config_class=OneImageConfig, **OVERRIDES)


def test_backbone_and_class_count_come_from_the_file(from_file):
    assert (Config.BACKBONE, Config.NUM_CLASSES) == ("resnet101", 1)  # not the defaults
    assert (from_file.config.BACKBONE, from_file.config.NUM_CLASSES) == ("resnet50", 81)
    layers = {layer.name for layer in from_file.keras_model.layers}
    assert "res4f_branch2a" in layers and "res4g_branch2a" not in layers  # 6 res4 blocks
    assert from_file.keras_model.get_layer("mrcnn_class_logits").kernel.shape[-1] == 81
    assert from_file.mode == "inference"


def test_overrides_and_config_class_apply(from_file):
    config = from_file.config
    assert isinstance(config, OneImageConfig) and config.BATCH_SIZE == 1
    assert config.DETECTION_MIN_CONFIDENCE == 0.3
    assert (config.IMAGE_MIN_DIM, config.IMAGE_MAX_DIM) == (256, 256)
    assert list(config.IMAGE_SHAPE) == [256, 256, 3]


def test_detections_equal_a_model_built_by_hand(from_file, r50_weights):
    config = Config(BACKBONE="resnet50", NUM_CLASSES=81, IMAGES_PER_GPU=1, **OVERRIDES)
    by_hand = MaskRCNN(mode="inference", config=config)
    by_hand.load_weights(r50_weights)
    images = [skimage_image("coffee"), skimage_image("chelsea")]
    expected = by_hand.detect(images)
    assert sum(len(r["scores"]) for r in expected) > 0, "the test weights find objects"
    for got, want in zip(from_file.detect(images), expected):
        assert got.keys() == want.keys()
        for key in want:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_a_misspelt_field_is_named_before_anything_is_built(r50_weights):
    with pytest.raises(ValueError, match="unknown Config field 'DETECTION_MIN_CONFIDENSE': "
                                         "did you mean DETECTION_MIN_CONFIDENCE"):
        MaskRCNN.from_weights(r50_weights, DETECTION_MIN_CONFIDENSE=0.5)


def test_a_bad_value_and_a_missing_file(r50_weights, tmp_path):
    with pytest.raises(ValueError, match="DETECTION_MIN_CONFIDENCE=1.5: must lie in"):
        MaskRCNN.from_weights(r50_weights, DETECTION_MIN_CONFIDENCE=1.5)
    with pytest.raises(FileNotFoundError, match="none.h5"):
        MaskRCNN.from_weights(tmp_path / "none.h5")


def test_load_weights_of_another_backbone_is_an_error_not_a_warning(r50_weights):
    """The issue's case: a ResNet-50 file loaded into a ResNet-101 model logged "102 model
    layers not in the file" and returned a useless model."""
    config = Config(BACKBONE="resnet101", NUM_CLASSES=81, IMAGES_PER_GPU=1, **OVERRIDES)
    model = MaskRCNN(mode="inference", config=config)
    with pytest.raises(ValueError) as err:
        model.load_weights(r50_weights)
    message = str(err.value)
    for words in ("ResNet-50 (6 res4 blocks)", "ResNet-101 (23 res4 blocks)",
                  "MaskRCNN.from_weights", "strict=False"):
        assert words in message, message
    report = model.load_weights(r50_weights, strict=False)  # on purpose: the shared layers
    assert len(report.missing) == 17 * 6 and report.unused == []
    assert "102 model layers not in the file" in str(report)
