"""TorchvisionDetectionTargets: the thin Keras layer over ops.torchvision_targets (training
only); the matterport family's DetectionTargetLayer with torchvision's sampling and boxes."""
from __future__ import annotations

import keras
import tensorflow as tf

from mrcnn_tf.layers.detection_target_layer import DetectionTargetLayer
from mrcnn_tf.ops.image_meta import parse_image_meta
from mrcnn_tf.ops.torchvision_targets import roi_targets_torchvision


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class TorchvisionDetectionTargets(DetectionTargetLayer):
    """Inputs: [proposals float32 [B, P, 4] pixels (zero padded), gt_class_ids int32 [B, G],
    gt_boxes float32 [B, G, 4] pixels, gt_masks uint8 [B, h, w, G] (0/1), image_meta float32
    [B, META_SIZE] (its molded shape gives H x W)]. Outputs (T = rois_per_image, S x S =
    mask_shape): rois [B, T, 4] pixels, target_class_ids int32 [B, T], target_bbox [B, T, 4]
    (dx, dy, dw, dh) weighted, target_mask [B, T, S, S]. No gradient flows into the
    proposals (torchvision detaches them too). Same arguments and config as
    DetectionTargetLayer."""

    def call(self, inputs):
        proposals, gt_class_ids, gt_boxes, gt_masks, image_meta = inputs
        image_hw = parse_image_meta(image_meta)["image_shape"][0][:2]
        return roi_targets_torchvision(
            tf.stop_gradient(proposals), gt_class_ids, gt_boxes, gt_masks, image_hw,
            rois_per_image=self.rois_per_image, positive_ratio=self.positive_ratio,
            bbox_std_dev=self.bbox_std_dev, mask_shape=self.mask_shape,
            mini_mask=self.mini_mask)
