"""PyramidROIAlign: crop boxes from the pyramid level that suits their size (see ops.roi_align)."""
from __future__ import annotations

import keras

from mrcnn_tf.ops.image_meta import parse_image_meta
from mrcnn_tf.ops.roi_align import pyramid_roi_align


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PyramidROIAlign(keras.layers.Layer):
    """Inputs: [boxes float32 [B, N, 4] normalized, image_meta float32 [B, META_SIZE],
    P2, P3, P4, P5 float32 [B, Hl, Wl, C]]. Output: float32 [B, N, pool_size, pool_size, C].
    The box levels use the molded image shape of the first image's meta."""

    def __init__(self, *, pool_size, **kwargs):
        kwargs.setdefault("dtype", "float32")  # box maths stays float32 under mixed precision
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)

    def call(self, inputs):
        boxes, image_meta, *feature_maps = inputs
        image_shape = parse_image_meta(image_meta)["image_shape"][0]
        return pyramid_roi_align(boxes, feature_maps, image_shape, self.pool_size)

    def compute_output_shape(self, input_shape):
        boxes, _, p2 = input_shape[:3]
        return (boxes[0], boxes[1], self.pool_size, self.pool_size, p2[-1])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size}
