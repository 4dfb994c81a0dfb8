"""modeling.backbone: Config.BACKBONE as a callable (matterport's extension point) builds the
inference and training models around the user's feature maps; a wrong callable is a clear error."""
from __future__ import annotations

import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.modeling.matterport_rcnn import build_inference_model
from mrcnn_tf.modeling.matterport_training import build_training_model
from tests.helpers import tiny_backbone


class TinyConfig(mrcnn_tf.Config):
    NAME = "tiny"
    NUM_CLASSES = 3
    BACKBONE = tiny_backbone  # a plain function in the class body, as users write it
    IMAGES_PER_GPU = 1
    IMAGE_MIN_DIM = 64
    IMAGE_MAX_DIM = 64
    TOP_DOWN_PYRAMID_SIZE = 16
    FPN_CLASSIF_FC_LAYERS_SIZE = 32


def test_function_in_class_body_stays_the_function():
    assert TinyConfig().BACKBONE is tiny_backbone
    assert mrcnn_tf.Config(BACKBONE=tiny_backbone, NUM_CLASSES=2).BACKBONE is tiny_backbone


def test_callable_backbone_builds_both_models_with_its_layers():
    inference = build_inference_model(TinyConfig())
    training = build_training_model(TinyConfig())
    for model in (inference, training):
        names = {layer.name for layer in model.layers}
        assert {"tiny0", "tiny4", "fpn_c5p5", "mrcnn_mask"} <= names
        assert not any(name.startswith("res") and "branch" in name for name in names)
    assert tuple(inference.get_layer("fpn_c2p2").kernel.shape) == (1, 1, 8, 16)


def test_callable_backbone_model_detects_and_round_trips_weights(tmp_path):
    model = mrcnn_tf.MaskRCNN(mode="inference", config=TinyConfig())
    image = np.random.default_rng(0).integers(0, 255, (64, 80, 3), dtype=np.uint8)
    result = model.detect([image])[0]
    assert result["masks"].shape[:2] == (64, 80)
    path = tmp_path / "tiny.h5"
    model.save_weights(path)
    again = mrcnn_tf.MaskRCNN(mode="inference", config=TinyConfig())
    again.load_weights(path)
    for a, b in zip(model.keras_model.weights, again.keras_model.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_backbone_returning_wrong_maps_is_a_clear_error():
    def three_maps(image, train_bn=False):
        return tiny_backbone(image)[:3]

    with pytest.raises(ValueError, match="three_maps.*four feature maps"):
        build_inference_model(TinyConfig(BACKBONE=three_maps))


def test_unknown_backbone_name_is_rejected():
    with pytest.raises(ValueError, match="BACKBONE.*resnet50, resnet101 or a callable"):
        mrcnn_tf.Config(BACKBONE="resnet18", NUM_CLASSES=2)
