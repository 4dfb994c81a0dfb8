"""Feature Pyramid Network over C2..C5 (matterport's layer names ``fpn_c{i}p{i}``, ``fpn_p{i}``)."""
from __future__ import annotations

from keras import layers


def feature_pyramid(c_maps, size=256):
    """P2..P6 from [C2, C3, C4, C5].

    Lateral 1x1 convolutions, top-down nearest 2x upsampling and addition, then a 3x3
    convolution per level; P6 is P5 subsampled by 2 (max-pool of size 1, stride 2).
    Returns [P2, P3, P4, P5, P6], each [B, Hl, Wl, size].
    """
    c2, c3, c4, c5 = c_maps
    p5 = layers.Conv2D(size, 1, name="fpn_c5p5")(c5)
    p4 = layers.Add(name="fpn_p4add")([
        layers.UpSampling2D(2, name="fpn_p5upsampled")(p5),
        layers.Conv2D(size, 1, name="fpn_c4p4")(c4)])
    p3 = layers.Add(name="fpn_p3add")([
        layers.UpSampling2D(2, name="fpn_p4upsampled")(p4),
        layers.Conv2D(size, 1, name="fpn_c3p3")(c3)])
    p2 = layers.Add(name="fpn_p2add")([
        layers.UpSampling2D(2, name="fpn_p3upsampled")(p3),
        layers.Conv2D(size, 1, name="fpn_c2p2")(c2)])
    p2 = layers.Conv2D(size, 3, padding="same", name="fpn_p2")(p2)
    p3 = layers.Conv2D(size, 3, padding="same", name="fpn_p3")(p3)
    p4 = layers.Conv2D(size, 3, padding="same", name="fpn_p4")(p4)
    p5 = layers.Conv2D(size, 3, padding="same", name="fpn_p5")(p5)
    p6 = layers.MaxPooling2D(pool_size=1, strides=2, name="fpn_p6")(p5)
    return [p2, p3, p4, p5, p6]
