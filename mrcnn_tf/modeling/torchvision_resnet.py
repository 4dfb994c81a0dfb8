"""torchvision's ResNet-50 body (``backbone.body``) with its state-dict module paths as layer names.

Layer names are the state-dict prefixes (``backbone.body.conv1``, ``backbone.body.bn1``,
``backbone.body.layer{1-4}.{block}.conv{1-3}|bn{1-3}|downsample.0|downsample.1``), so loading
a torchvision file is a name lookup (weights.torchvision_loader). torchvision's Bottleneck puts
a block's stride on its 3x3 convolution; convolutions have no bias; norm layers are
BatchNorm in inference mode with epsilon 1e-5 (torchvision's FrozenBatchNorm2d and
BatchNorm2d.eval() compute the same). PyTorch pads strided convolutions and the stem max-pool
symmetrically, so those get explicit zero padding and "valid" windows (after the ReLU, zero
padding is the same as the max-pool's -inf padding).
"""
from __future__ import annotations

from keras import layers

BN_EPSILON = 1e-5
RESNET50_BLOCKS = (3, 4, 6, 3)


def conv_bn(x, filters, kernel, name, bn_name, *, strides=1, relu=True):
    """Convolution without bias (PyTorch padding kernel // 2), BatchNorm, optional ReLU."""
    pad = kernel // 2
    if strides > 1 and pad:
        x = layers.ZeroPadding2D(pad)(x)
        x = layers.Conv2D(filters, kernel, strides=strides, use_bias=False, name=name)(x)
    else:
        x = layers.Conv2D(filters, kernel, strides=strides, padding="same" if pad else "valid",
                          use_bias=False, name=name)(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=bn_name)(x, training=False)
    return layers.ReLU()(x) if relu else x


def bottleneck(x, width, prefix, *, strides=1, project=False):
    """torchvision's Bottleneck: 1x1 -> 3x3 (strided) -> 1x1 (4 * width) plus the shortcut."""
    y = conv_bn(x, width, 1, f"{prefix}.conv1", f"{prefix}.bn1")
    y = conv_bn(y, width, 3, f"{prefix}.conv2", f"{prefix}.bn2", strides=strides)
    y = conv_bn(y, 4 * width, 1, f"{prefix}.conv3", f"{prefix}.bn3", relu=False)
    if project:
        x = conv_bn(x, 4 * width, 1, f"{prefix}.downsample.0", f"{prefix}.downsample.1",
                    strides=strides, relu=False)
    return layers.ReLU()(layers.Add()([y, x]))


def resnet50_body(image, prefix="backbone.body"):
    """C2..C5 of torchvision's ResNet-50.

    image: KerasTensor float32 [B, H, W, 3], normalized ((pixel / 255 - mean) / std), H and W
    multiples of 32. Returns [C2, C3, C4, C5]: strides 4, 8, 16, 32; 256, 512, 1024, 2048
    channels.
    """
    x = conv_bn(image, 64, 7, f"{prefix}.conv1", f"{prefix}.bn1", strides=2)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    outputs = []
    for stage, blocks in enumerate(RESNET50_BLOCKS):
        width = 64 * 2 ** stage
        for block in range(blocks):
            x = bottleneck(x, width, f"{prefix}.layer{stage + 1}.{block}",
                           strides=2 if (block == 0 and stage > 0) else 1, project=block == 0)
        outputs.append(x)
    return outputs
