"""modeling.matterport_resnet: zero_init_residual_branches makes every bottleneck block an identity."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from mrcnn_tf.modeling.matterport_resnet import STAGE4_BLOCKS, resnet_features, zero_init_residual_branches


def _resnet(architecture):
    image = keras.Input(shape=(64, 64, 3))
    features = resnet_features(image, architecture)
    return keras.Model(image, features)


@pytest.mark.parametrize("architecture", sorted(STAGE4_BLOCKS))
def test_zeroes_the_last_batch_norm_of_every_block(architecture):
    model = _resnet(architecture)
    names = zero_init_residual_branches(model)
    blocks = 3 + 4 + STAGE4_BLOCKS[architecture] + 3
    assert len(names) == blocks == len(set(names))
    assert all(name.endswith("_branch2c") for name in names)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma = keras.ops.convert_to_numpy(layer.gamma)
            assert np.all(gamma == 0) == (layer.name in names), layer.name


def test_blocks_then_pass_their_input_through():
    """An identity block (no projection) gives relu(its input) = its (post-ReLU) input; a
    projecting block gives relu(its shortcut), so C2..C5 are the stem and shortcuts alone."""
    model = _resnet("resnet50")
    zero_init_residual_branches(model)
    probe = keras.Model(model.inputs, [model.get_layer("res3a_out").output,
                                       model.get_layer("res3b_out").output,
                                       model.get_layer("res3d_out").output])
    image = np.random.default_rng(0).normal(0, 50, (1, 64, 64, 3)).astype("float32")
    first, second, last = (keras.ops.convert_to_numpy(t) for t in probe(image))
    assert first.std() > 0
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(last, first)
