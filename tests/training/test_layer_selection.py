"""training.layer_selection on the real training model: which layers each preset trains."""
from __future__ import annotations

import pytest

import mrcnn_tf
from mrcnn_tf.modeling.matterport_training import build_training_model
from mrcnn_tf.training.layer_selection import layer_names, set_trainable


@pytest.fixture(scope="module")
def network():
    config = mrcnn_tf.Config(NAME="t", NUM_CLASSES=3, BACKBONE="resnet50", IMAGE_MIN_DIM=64,
                             IMAGE_MAX_DIM=64, TRAIN_ROIS_PER_IMAGE=8)
    return build_training_model(config)


def _trainable(network, name):
    return network.get_layer(name).trainable


@pytest.mark.parametrize("layers, trained, frozen", [
    ("heads", ["fpn_c5p5", "mrcnn_class_conv1", "mrcnn_mask", "mrcnn_bbox_fc"],
     ["conv1", "bn_conv1", "res5c_branch2c", "bn4a_branch1"]),
    ("4+", ["res4a_branch2a", "bn4f_branch2c", "res5a_branch1", "fpn_p2"],
     ["res3d_branch2c", "res2a_branch1", "conv1"]),
    ("3+", ["res3a_branch2a", "res4a_branch2a"], ["res2c_branch2c", "bn2a_branch1"]),
    ("5+", ["res5b_branch2b", "mrcnn_mask_conv1"], ["res4f_branch2c"]),
    ("all", ["conv1", "bn_conv1", "res2a_branch2a", "mrcnn_mask"], []),
    (r"mrcnn\_mask.*", ["mrcnn_mask_conv1", "mrcnn_mask_deconv"], ["mrcnn_class_conv1", "fpn_p2"]),
])
def test_presets(network, layers, trained, frozen):
    names = set_trainable(network, layers)
    for name in trained:
        assert _trainable(network, name), name
        assert name in names
    for name in frozen:
        assert not _trainable(network, name), name


def test_rpn_layers_inside_the_nested_model(network):
    set_trainable(network, "heads")
    rpn = network.get_layer("rpn_model")
    assert all(layer.trainable for layer in rpn.layers if layer.weights)
    set_trainable(network, r"mrcnn\_.*")
    assert not any(layer.trainable for layer in rpn.layers if layer.weights)
    assert not rpn.trainable_weights


def test_trainable_weights_follow_the_selection(network):
    set_trainable(network, "heads")
    heads = {v.path for v in network.trainable_weights}
    set_trainable(network, "all")
    assert heads < {v.path for v in network.trainable_weights}
    assert not any(path.startswith("res") for path in heads)


@pytest.mark.parametrize("layers, message", [("nothing_matches_this", "matches no layer"),
                                              ("(unclosed", "regular expression")])
def test_bad_selections(network, layers, message):
    with pytest.raises(ValueError, match=message):
        set_trainable(network, layers)


def test_layer_names_are_the_top_level_layers_a_preset_selects(network):
    heads = layer_names(network, "heads")
    assert {"fpn_c5p5", "rpn_model", "mrcnn_class_logits", "mrcnn_mask"} <= set(heads)
    assert not any(name.startswith(("res", "bn", "conv1")) for name in heads)
    assert all(network.get_layer(name).weights for name in heads)
    assert set(layer_names(network, "5+")) - set(heads) == {
        layer.name for layer in network.layers
        if layer.name.startswith(("res5", "bn5")) and layer.weights}
