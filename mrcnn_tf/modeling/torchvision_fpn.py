"""torchvision's FeaturePyramidNetwork with LastLevelMaxPool (``backbone.fpn``).

Layer names are the state-dict prefixes: ``backbone.fpn.inner_blocks.{i}.0`` (1x1 lateral)
and ``backbone.fpn.layer_blocks.{i}.0`` (3x3 output), i = 0..3 for C2..C5; with ``norm=True``
(v2) the convolutions have no bias and are followed by BatchNorm ``...{i}.1`` (epsilon 1e-5,
no activation). Top-down: nearest 2x upsampling (the padded sizes are multiples of 32, so
torchvision's interpolate to the lateral's size is exactly 2x). The "pool" level is a max-pool
of kernel 1, stride 2 over the last output.
"""
from __future__ import annotations

from keras import layers

from mrcnn_tf.modeling.torchvision_resnet import BN_EPSILON


def _conv(x, filters, kernel, name, norm):
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=not norm, name=f"{name}.0")(x)
    if norm:
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.1")(x, training=False)
    return x


def feature_pyramid_torchvision(c_maps, size=256, *, norm=False, prefix="backbone.fpn"):
    """[P2, P3, P4, P5, pool] from [C2, C3, C4, C5]; each [B, Hl, Wl, size]."""
    inner = [_conv(c, size, 1, f"{prefix}.inner_blocks.{i}", norm) for i, c in enumerate(c_maps)]
    last = inner[-1]
    tops = [last]
    for lateral in reversed(inner[:-1]):
        last = layers.Add()([lateral, layers.UpSampling2D(2, interpolation="nearest")(last)])
        tops.insert(0, last)
    outputs = [_conv(t, size, 3, f"{prefix}.layer_blocks.{i}", norm) for i, t in enumerate(tops)]
    outputs.append(layers.MaxPooling2D(pool_size=1, strides=2)(outputs[-1]))
    return outputs
