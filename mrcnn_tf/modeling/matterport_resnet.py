"""ResNet-50/101 backbone with matterport's layer names (the weight contract).

Layer names: ``conv1``/``bn_conv1``; per block ``res{stage}{block}_branch2a|2b|2c`` with
``bn{stage}{block}_branch2a|2b|2c``, and the projection ``res{stage}{block}_branch1`` /
``bn{stage}{block}_branch1`` in the first block of a stage. Blocks are lettered a, b, c, ...
(ResNet-101's stage 4 runs to ``res4w``). Convolutions have biases; a strided block puts its
stride on the first 1x1 convolution (Caffe style). BatchNorm uses epsilon 1e-3.
"""
from __future__ import annotations

import functools
import re

import numpy as np
from keras import layers

from mrcnn_tf.layers import FusedBatchNorm

STAGE4_BLOCKS = {"resnet50": 6, "resnet101": 23}
BN_EPSILON = 1e-3
LAST_BRANCH_BN = re.compile(r"bn[2-5][a-z]_branch2c")  # each block's residual branch ends here


def batch_norm(x, name, conv_name, train_bn, fold_bn):
    """matterport's BatchNorm (epsilon BN_EPSILON) on the output x of convolution conv_name,
    folded into it when fold_bn (layers.FusedBatchNorm's fold_into); the heads use it too."""
    return FusedBatchNorm(epsilon=BN_EPSILON, name=name,
                          fold_into=conv_name if fold_bn else None)(x, training=train_bn)


def _bottleneck(x, filters, stage, block, *, strides=1, project=False, train_bn=False,
                fold_bn=False):
    """One bottleneck block: 1x1 -> 3x3 -> 1x1 plus the shortcut, then ReLU."""
    f1, f2, f3 = filters
    conv = f"res{stage}{block}_branch"
    bn = f"bn{stage}{block}_branch"
    y = layers.Conv2D(f1, 1, strides=strides, name=conv + "2a")(x)
    y = batch_norm(y, bn + "2a", conv + "2a", train_bn, fold_bn)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f2, 3, padding="same", name=conv + "2b")(y)
    y = batch_norm(y, bn + "2b", conv + "2b", train_bn, fold_bn)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f3, 1, name=conv + "2c")(y)
    y = batch_norm(y, bn + "2c", conv + "2c", train_bn, fold_bn)
    if project:
        x = layers.Conv2D(f3, 1, strides=strides, name=conv + "1")(x)
        x = batch_norm(x, bn + "1", conv + "1", train_bn, fold_bn)
    y = layers.Add()([y, x])
    return layers.Activation("relu", name=f"res{stage}{block}_out")(y)


def _stage(x, filters, stage, blocks, *, strides, train_bn, fold_bn):
    x = _bottleneck(x, filters, stage, "a", strides=strides, project=True, train_bn=train_bn,
                    fold_bn=fold_bn)
    for i in range(1, blocks):
        x = _bottleneck(x, filters, stage, chr(ord("a") + i), train_bn=train_bn,
                        fold_bn=fold_bn)
    return x


def resnet_features(image, architecture, *, train_bn=False, fold_bn=False):
    """C2..C5 feature maps of a ResNet.

    image: KerasTensor float32 [B, H, W, 3], mean-subtracted pixels. fold_bn: BatchNorm
    folded into the convolutions (inference only; layers.FusedBatchNorm's fold_into).
    Returns [C2, C3, C4, C5] with strides 4, 8, 16, 32 and 256, 512, 1024, 2048 channels.
    """
    if architecture not in STAGE4_BLOCKS:
        raise ValueError(f"backbone {architecture!r} is not one of {', '.join(STAGE4_BLOCKS)}")
    x = layers.ZeroPadding2D(3)(image)
    x = layers.Conv2D(64, 7, strides=2, name="conv1")(x)
    x = batch_norm(x, "bn_conv1", "conv1", train_bn, fold_bn)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    stage = functools.partial(_stage, train_bn=train_bn, fold_bn=fold_bn)
    c2 = stage(x, [64, 64, 256], 2, 3, strides=1)
    c3 = stage(c2, [128, 128, 512], 3, 4, strides=2)
    c4 = stage(c3, [256, 256, 1024], 4, STAGE4_BLOCKS[architecture], strides=2)
    c5 = stage(c4, [512, 512, 2048], 5, 3, strides=2)
    return [c2, c3, c4, c5]


def zero_init_residual_branches(keras_model) -> list:
    """Start every bottleneck block of the model's ResNet as the identity: the gamma of the
    BatchNorm ending its residual branch (``bn{stage}{block}_branch2c``) set to zero, as
    torchvision's ``zero_init_residual`` and Goyal et al. (2017) do. For training from
    scratch: without it the residual stream's variance grows block after block and ResNet-50
    on the shapes data learned about ten times more slowly. Returns the layer names zeroed
    (16 for ResNet-50, 33 for ResNet-101)."""
    names = []
    for layer in keras_model.layers:
        if LAST_BRANCH_BN.fullmatch(layer.name):
            layer.gamma.assign(np.zeros(layer.gamma.shape, layer.gamma.dtype))
            names.append(layer.name)
    return names
