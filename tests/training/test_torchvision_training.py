"""Training the torchvision family: MaskRCNN(mode="training", config=<torchvision config>).

Small on purpose: 128x128 shape images (so S = 128), ResNet-50 with torchvision's layers,
NUM_CLASSES 4 (the 91-class COCO state dicts' class-specific layers excluded and started
afresh), a few dozen ROIs. The state dicts are the deterministic ones of
shared/parity/torchvision/make_tv_weights.py (tests/conftest.py), never a download.
"""
from __future__ import annotations

import keras
import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.training.layer_selection import set_trainable
from mrcnn_tf.training.losses import LOSS_NAMES
from mrcnn_tf.weights.state_dict import read_state_dict
from mrcnn_tf.weights.torchvision_loader import CLASS_SPECIFIC_LAYERS
from tests.helpers import shapes_dataset


def tiny_config(architecture, **overrides):
    fields = dict(NAME="tvshapes", ARCHITECTURE=architecture, NUM_CLASSES=4, IMAGE_MIN_DIM=128,
                  IMAGE_MAX_DIM=128, TRAIN_ROIS_PER_IMAGE=32, RPN_TRAIN_ANCHORS_PER_IMAGE=64,
                  POST_NMS_ROIS_TRAINING=128, PRE_NMS_LIMIT=128, POST_NMS_ROIS_INFERENCE=64,
                  MAX_GT_INSTANCES=5, STEPS_PER_EPOCH=2, VALIDATION_STEPS=0)
    return mrcnn_tf.TorchvisionConfig(**{**fields, **overrides})


@pytest.fixture(scope="module", params=["torchvision_v1", "torchvision_v2"])
def training_model(request, tmp_path_factory):
    return mrcnn_tf.MaskRCNN(mode="training", config=tiny_config(request.param),
                             model_dir=tmp_path_factory.mktemp("logs"))


def _weight_shapes(keras_model):
    return {layer.name: [tuple(w.shape) for w in layer.weights]
            for layer in keras_model.layers if layer.weights}


def test_training_graph_has_the_inference_graph_weights(training_model):
    inference = mrcnn_tf.MaskRCNN(mode="inference", config=training_model.config)
    assert _weight_shapes(training_model.keras_model) == _weight_shapes(inference.keras_model)
    shapes = _weight_shapes(training_model.keras_model)
    assert shapes["roi_heads.box_predictor.cls_score"][0] == (1024, 4)  # NUM_CLASSES 4
    assert shapes["roi_heads.mask_predictor.mask_fcn_logits"][0] == (1, 1, 256, 4)


def _selected(model, layers):
    set_trainable(model.keras_model, layers, model.family.layer_presets,
                  model.family.frozen(model.config))
    return {layer.name for layer in model.keras_model.layers if layer.weights and layer.trainable}


def test_layer_choices_map_onto_torchvision_names(training_model):
    names = {layer.name for layer in training_model.keras_model.layers if layer.weights}
    batch_norms = {layer.name for layer in training_model.keras_model.layers
                   if isinstance(layer, keras.layers.BatchNormalization)}
    heads = {n for n in names if n.startswith(("backbone.fpn.", "rpn.", "roi_heads."))}
    assert _selected(training_model, "heads") == heads
    assert "roi_heads.box_predictor.cls_score" in heads and "rpn.head.cls_logits" in heads
    stage = lambda selected, n: any(s.startswith(f"backbone.body.layer{n}.") for s in selected)
    for layers, first in (("3+", 2), ("4+", 3), ("5+", 4)):
        selected = _selected(training_model, layers)
        assert heads <= selected
        assert stage(selected, first) and not stage(selected, first - 1), layers
        assert "backbone.body.conv1" not in selected
    everything = _selected(training_model, "all")
    assert "backbone.body.conv1" in everything
    body_norms = {n for n in batch_norms if n.startswith("backbone.body.")}
    assert len(body_norms) == 53  # stem + 16 blocks x 3 + 4 downsample
    if training_model.config.ARCHITECTURE == "torchvision_v1":
        # FrozenBatchNorm2d: never trains, whatever layers says
        assert not everything & body_norms
        assert everything == names - body_norms
    else:
        assert body_norms <= everything and everything == names
    assert _selected(training_model, r"roi\_heads\.mask.*") == {
        n for n in names if n.startswith("roi_heads.mask")}


def test_state_dict_of_other_classes_needs_the_class_specific_layers_excluded(tv_v2_weights,
                                                                               tmp_path):
    model = mrcnn_tf.MaskRCNN(mode="training", config=tiny_config("torchvision_v2"),
                              model_dir=tmp_path)
    with pytest.raises(ValueError) as err:
        model.load_weights(tv_v2_weights)
    for name in CLASS_SPECIFIC_LAYERS:
        assert name in str(err.value)
    assert "NUM_CLASSES=91" in str(err.value) and "exclude=" in str(err.value)
    with pytest.raises(ValueError, match="does not have"):
        model.load_weights(tv_v2_weights, exclude=["roi_heads.no_such_layer"])
    fresh = model.keras_model.get_layer(CLASS_SPECIFIC_LAYERS[0]).get_weights()[0].copy()
    report = model.load_weights(tv_v2_weights, exclude=CLASS_SPECIFIC_LAYERS)
    assert sorted(report.excluded) == sorted(CLASS_SPECIFIC_LAYERS)
    assert len(report.loaded) + 3 == len(_weight_shapes(model.keras_model))
    tensors = read_state_dict(tv_v2_weights)
    conv1 = model.keras_model.get_layer("backbone.body.conv1").get_weights()[0]
    np.testing.assert_array_equal(conv1, np.transpose(tensors["backbone.body.conv1.weight"],
                                                      (2, 3, 1, 0)))
    # the excluded layers keep their fresh torchvision-style initialization
    kept = model.keras_model.get_layer(CLASS_SPECIFIC_LAYERS[0]).get_weights()[0]
    np.testing.assert_array_equal(kept, fresh)
    assert 0.005 < kept.std() < 0.02  # normal(0, 0.01)


def test_fine_tune_steps_checkpoint_load_into_inference_and_detect(tv_v1_weights, tmp_path):
    config = tiny_config("torchvision_v1")
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=tmp_path)
    model.load_weights(tv_v1_weights, exclude=CLASS_SPECIFIC_LAYERS)
    body_bn = model.keras_model.get_layer("backbone.body.layer2.0.bn1")
    bn_before = [w.copy() for w in body_bn.get_weights()]
    fc6_before = model.keras_model.get_layer("roi_heads.box_head.fc6").get_weights()[0].copy()
    dataset = shapes_dataset(3, 128, 128, seed=0)
    history = model.train(dataset, None, learning_rate=0.001, epochs=1, layers="3+",
                          verbose=0, seed=0)
    for name in ("loss",) + LOSS_NAMES:
        assert np.isfinite(history.history[name][-1]), name
    assert history.history["mrcnn_mask_loss"][-1] > 0  # positives reached the mask head
    for before, after in zip(bn_before, body_bn.get_weights()):  # FrozenBatchNorm2d
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(
        fc6_before, model.keras_model.get_layer("roi_heads.box_head.fc6").get_weights()[0])
    assert model.last_checkpoint.endswith("mask_rcnn_tvshapes_0001.h5")

    inference = mrcnn_tf.MaskRCNN(mode="inference", config=tiny_config(
        "torchvision_v1", DETECTION_MIN_CONFIDENCE=0.0))
    inference.load_weights(model.last_checkpoint)
    for name in CLASS_SPECIFIC_LAYERS + ("backbone.fpn.layer_blocks.0.0",):
        for a, b in zip(inference.keras_model.get_layer(name).get_weights(),
                        model.keras_model.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    rebuilt = mrcnn_tf.MaskRCNN.from_weights(model.last_checkpoint, IMAGE_MIN_DIM=128,
                                             IMAGE_MAX_DIM=128)
    assert (rebuilt.config.ARCHITECTURE, rebuilt.config.NUM_CLASSES) == ("torchvision_v1", 4)
    np.testing.assert_array_equal(
        rebuilt.keras_model.get_layer("roi_heads.box_predictor.bbox_pred").get_weights()[0],
        model.keras_model.get_layer("roi_heads.box_predictor.bbox_pred").get_weights()[0])
    image = dataset.load_image(0)
    result = inference.detect([image])[0]
    assert len(result["class_ids"]) > 0
    assert set(result["class_ids"].tolist()) <= {1, 2, 3}  # the new config's class space
    assert result["masks"].shape[:2] == image.shape[:2]


def test_v2_batch_norm_follows_train_bn(tv_v2_weights, tmp_path):
    config = tiny_config("torchvision_v2", TRAIN_BN=True, STEPS_PER_EPOCH=1)
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=tmp_path)
    model.load_weights(tv_v2_weights, exclude=CLASS_SPECIFIC_LAYERS)
    bn = model.keras_model.get_layer("roi_heads.box_head.0.1")
    mean_before = bn.moving_mean.numpy().copy()
    history = model.train(shapes_dataset(2, 128, 128, seed=1), None, learning_rate=0.001,
                          epochs=1, layers="heads", verbose=0, seed=0)
    assert np.isfinite(history.history["loss"][-1])
    assert not np.allclose(bn.moving_mean.numpy(), mean_before)  # statistics updated


def test_loss_falls_on_one_repeated_image(tv_v1_weights, tmp_path):
    """Overfit check: the heads fine-tuned on one image with Adam, 4 epochs of 6 steps. (The
    test weights' mask head is badly scaled, so the mask loss starts high, ~5.) Two runs gave
    epoch losses 8.3, 4.7, 3.6, 3.1 and 7.9, 3.9, 3.1, 2.0."""
    config = tiny_config("torchvision_v1", STEPS_PER_EPOCH=6)
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=tmp_path)
    model.load_weights(tv_v1_weights, exclude=CLASS_SPECIFIC_LAYERS)
    keras.utils.set_random_seed(0)
    history = model.train(shapes_dataset(1, 128, 128, seed=2), None, learning_rate=1e-4,
                          epochs=4, layers="heads", verbose=0, seed=0, optimizer="adam")
    losses = history.history
    assert np.all(np.isfinite(losses["loss"]))
    assert losses["loss"][-1] < 0.6 * losses["loss"][0], losses
    assert losses["rpn_class_loss"][-1] < 0.5 * losses["rpn_class_loss"][0], losses
    assert losses["mrcnn_mask_loss"][-1] < losses["mrcnn_mask_loss"][0], losses
