"""A small backbone for learning the shapes from scratch in minutes on a CPU.

Ten 3x3 convolutions in five stages (32, 64, 128, 192, 256 filters, each stage starting with
stride 2), GroupNorm (8 groups; no batch statistics, so training and inference agree at any
batch size) and ReLU. 1.9 M weights (ResNet-50: 23.5 M).
Used as ``Config.BACKBONE`` (see mrcnn_tf.modeling.backbone): returns [C2, C3, C4, C5] at
strides 4, 8, 16, 32. Layer names ``small_stage{s}_conv{i}`` / ``small_stage{s}_norm{i}``.
"""
from keras import layers

STAGES = ((32, 1), (64, 2), (128, 2), (192, 2), (256, 2))  # (filters, convolutions)


def small_backbone(image, train_bn=False):
    """[C2, C3, C4, C5] of image (KerasTensor float32 [B, H, W, 3]); train_bn is unused."""
    x, maps = image, []
    for stage, (filters, convolutions) in enumerate(STAGES, start=1):
        for i in range(1, convolutions + 1):
            x = layers.Conv2D(filters, 3, strides=2 if i == 1 else 1, padding="same",
                              use_bias=False, kernel_initializer="he_normal",
                              name=f"small_stage{stage}_conv{i}")(x)
            x = layers.GroupNormalization(groups=8, name=f"small_stage{stage}_norm{i}")(x)
            x = layers.Activation("relu")(x)
        if stage > 1:
            maps.append(x)
    return maps
