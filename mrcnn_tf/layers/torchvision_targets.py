"""TorchvisionDetectionTargets: the thin Keras layer over ops.torchvision_targets (training
only)."""
from __future__ import annotations

import keras
import tensorflow as tf

from mrcnn_tf.ops.image_meta import parse_image_meta
from mrcnn_tf.ops.torchvision_targets import roi_targets_torchvision


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class TorchvisionDetectionTargets(keras.layers.Layer):
    """Inputs: [proposals float32 [B, P, 4] pixels (zero padded), gt_class_ids int32 [B, G],
    gt_boxes float32 [B, G, 4] pixels, gt_masks uint8 [B, h, w, G] (0/1), image_meta float32
    [B, META_SIZE] (its molded shape gives H x W)]. Outputs (T = rois_per_image, S x S =
    mask_shape): rois [B, T, 4] pixels, target_class_ids int32 [B, T], target_bbox [B, T, 4]
    (dx, dy, dw, dh) weighted, target_mask [B, T, S, S]. No gradient flows into the
    proposals (torchvision detaches them too)."""

    def __init__(self, *, rois_per_image, positive_ratio, bbox_std_dev, mask_shape, mini_mask,
                 **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.rois_per_image = int(rois_per_image)
        self.positive_ratio = float(positive_ratio)
        self.bbox_std_dev = [float(v) for v in bbox_std_dev]
        self.mask_shape = [int(v) for v in mask_shape]
        self.mini_mask = bool(mini_mask)

    def call(self, inputs):
        proposals, gt_class_ids, gt_boxes, gt_masks, image_meta = inputs
        image_hw = parse_image_meta(image_meta)["image_shape"][0][:2]
        return roi_targets_torchvision(
            tf.stop_gradient(proposals), gt_class_ids, gt_boxes, gt_masks, image_hw,
            rois_per_image=self.rois_per_image, positive_ratio=self.positive_ratio,
            bbox_std_dev=self.bbox_std_dev, mask_shape=self.mask_shape,
            mini_mask=self.mini_mask)

    def compute_output_shape(self, input_shape):
        batch, count = input_shape[0][0], self.rois_per_image
        return ((batch, count, 4), (batch, count), (batch, count, 4),
                (batch, count, *self.mask_shape))

    def compute_output_spec(self, inputs):
        shapes = self.compute_output_shape([x.shape for x in inputs])
        dtypes = ("float32", "int32", "float32", "float32")
        return tuple(keras.KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes))

    def get_config(self):
        return {**super().get_config(), "rois_per_image": self.rois_per_image,
                "positive_ratio": self.positive_ratio, "bbox_std_dev": self.bbox_std_dev,
                "mask_shape": self.mask_shape, "mini_mask": self.mini_mask}
