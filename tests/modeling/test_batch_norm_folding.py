"""Config.FOLD_BATCH_NORM: BatchNorm folded into the convolutions when weights load."""
from __future__ import annotations

import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.layers import FusedBatchNorm
from mrcnn_tf.ops.batch_norm_folding import fold_batch_norm
from mrcnn_tf.weights.h5file import read_weights
from tests.helpers import skimage_image


def _model(weights, fold):
    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                                 IMAGE_MAX_DIM=256, DETECTION_MIN_CONFIDENCE=0.3,
                                 FOLD_BATCH_NORM=fold)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(weights)
    return model


@pytest.fixture(scope="module")
def folded(r50_weights):
    return _model(r50_weights, True)


def test_every_batch_norm_after_a_convolution_is_folded(folded):
    batch_norms = [layer for layer in folded.keras_model.layers
                   if isinstance(layer, FusedBatchNorm)]
    assert len(batch_norms) == 53 + 2 + 4  # ResNet-50, classifier, mask head
    for layer in batch_norms:
        assert layer.folded_into == layer.name.replace("bn", "res", 1).replace(
            "res_conv1", "conv1").replace("mrcnn_class_res", "mrcnn_class_conv").replace(
            "mrcnn_mask_res", "mrcnn_mask_conv"), layer.name


def test_convolutions_hold_the_folded_file_values(folded, r50_weights):
    stored = read_weights(r50_weights)
    conv, bn = dict(stored["res3b_branch2b"]), dict(stored["bn3b_branch2b"])
    kernel, bias = fold_batch_norm(
        conv["res3b_branch2b/kernel:0"], conv["res3b_branch2b/bias:0"],
        *(bn[f"bn3b_branch2b/{k}:0"] for k in ("gamma", "beta", "moving_mean",
                                                "moving_variance")), 1e-3)
    layer = folded.keras_model.get_layer("res3b_branch2b")
    np.testing.assert_array_equal(np.asarray(layer.kernel), kernel)
    np.testing.assert_array_equal(np.asarray(layer.bias), bias)


def test_detections_agree_with_the_unfolded_model(folded, r50_weights):
    """Equal up to float rounding: the parity criterion on real images (random weights,
    so a borderline detection may flip; the criterion's thresholds allow for that)."""
    exact = _model(r50_weights, False)
    images = [skimage_image(name) for name in ("astronaut", "coffee", "chelsea")]
    reference, ours = exact.detect(images), folded.detect(images)
    assert sum(len(r["scores"]) for r in reference) > 0
    matched = sum(compare_detections(r, o, image.shape[:2]).matched
                  for r, o, image in zip(reference, ours, images))
    assert matched >= 0.9 * sum(len(r["scores"]) for r in reference)
    assert matched >= 0.9 * sum(len(o["scores"]) for o in ours)


def test_loading_again_does_not_fold_twice(folded, r50_weights):
    image = skimage_image("coffee")
    before = folded.detect([image])[0]
    kernel = np.asarray(folded.keras_model.get_layer("conv1").kernel).copy()
    folded.load_weights(r50_weights)
    np.testing.assert_array_equal(np.asarray(folded.keras_model.get_layer("conv1").kernel),
                                  kernel)
    after = folded.detect([image])[0]
    np.testing.assert_array_equal(before["rois"], after["rois"])


def test_a_folded_model_refuses_to_save_matterport_weights(folded, tmp_path):
    with pytest.raises(ValueError, match="folds BatchNorm.*FOLD_BATCH_NORM"):
        folded.save_weights(tmp_path / "w.h5")
    assert not (tmp_path / "w.h5").exists()


def test_a_convolution_without_its_batch_norm_is_an_error(r50_weights):
    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, FOLD_BATCH_NORM=True)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    with pytest.raises(ValueError, match="'conv1' and 'bn_conv1' must be loaded together"):
        model.load_weights(r50_weights, exclude=["bn_conv1"], strict=False)


@pytest.mark.parametrize("fields, message", [
    ({"FOLD_BATCH_NORM": "yes"}, "FOLD_BATCH_NORM.*True or False"),
    ({"FOLD_BATCH_NORM": True, "ARCHITECTURE": "torchvision_v2"}, "FOLD_BATCH_NORM.*matterport"),
])
def test_config_validates_the_field(fields, message):
    config_class = mrcnn_tf.TorchvisionConfig if "ARCHITECTURE" in fields else mrcnn_tf.CocoConfig
    with pytest.raises(ValueError, match=message):
        config_class(**fields)


def test_a_folded_model_round_trips_through_the_keras_format(folded, tmp_path):
    """.keras keeps the folded convolutions and the BatchNorm layers' folded_into, so the
    reloaded model computes what the folded one does (no BatchNorm applied twice)."""
    import keras

    from mrcnn_tf.inference.preprocessing import mold_inputs
    from mrcnn_tf.ops.anchors import anchors_for_image_shape

    path = tmp_path / "folded.keras"
    folded.keras_model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.get_layer("bn4c_branch2b").folded_into == "res4c_branch2b"
    molded, metas, _ = mold_inputs([skimage_image("coffee")], folded.config)
    anchors = anchors_for_image_shape(molded.shape[1:3], folded.config)[None]
    inputs = [molded, metas.astype(np.float32), anchors]
    np.testing.assert_array_equal(np.asarray(loaded(inputs, training=False)[4]),
                                  np.asarray(folded.keras_model(inputs, training=False)[4]))
