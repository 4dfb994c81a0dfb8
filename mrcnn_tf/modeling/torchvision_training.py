"""Assembly of torchvision's Mask R-CNN (v1 / v2) training graph from the inference graph's
stage builders (modeling.torchvision_*), with the same weighted layer names: a training
checkpoint loads into the inference model and a torchvision state dict into this one.

Shape shorthand: B images, S x S padded training image (training_image_shape: IMAGE_MAX_DIM
rounded up to a multiple of 32, one shape for every batch), A anchors, G = MAX_GT_INSTANCES,
h x w stored gt mask size (MINI_MASK_SHAPE, or S x S without mini masks), T =
TRAIN_ROIS_PER_IMAGE, C = NUM_CLASSES, M x M = MASK_SHAPE (28 x 28).
Boxes are (y1, x1, y2, x2) pixels of the padded molded image; deltas torchvision's
(dx, dy, dw, dh) times the BoxCoder weights.

Inputs (the names of modeling.matterport_training's): ``input_image`` float32 [B, S, S, 3]
normalized ((pixel - MEAN_PIXEL) / PIXEL_STD, zero padding bottom/right), ``input_image_meta``
[B, META] (window (0, 0, h, w) = resized size), ``input_anchors`` [B, A, 4] pixels
(ops.torchvision_anchors), ``input_gt_class_ids`` int32 [B, G], ``input_gt_boxes`` float32
[B, G, 4] pixels, ``input_gt_masks`` uint8 [B, h, w, G].
Outputs (a dict, the keys of the matterport family's): ``rpn_class_logits`` [B, A] (one
objectness logit per anchor), ``rpn_bbox`` [B, A, 4], ``rois`` [B, T, 4] pixels,
``target_class_ids`` int32 [B, T], ``target_bbox`` [B, T, 4], ``target_mask`` [B, T, M, M],
``mrcnn_class_logits`` [B, T, C], ``mrcnn_bbox`` [B, T, C, 4], ``mrcnn_mask`` [B, T, M, M, C]
sigmoid probabilities (positive ROIs only, zeros elsewhere).
"""
from __future__ import annotations

import keras
from keras import layers

from mrcnn_tf.layers import TorchvisionRoIAlign
from mrcnn_tf.layers.torchvision_targets import TorchvisionDetectionTargets
from mrcnn_tf.modeling.torchvision_heads import box_head, mask_head
from mrcnn_tf.modeling.torchvision_rcnn import VERSIONS, region_proposals_torchvision
from mrcnn_tf.modeling.training_inputs import training_inputs

SIZE_DIVISIBLE = 32


def training_image_shape(config) -> tuple:
    """(S, S, 3): every training image is padded to IMAGE_MAX_DIM rounded up to 32."""
    side = -(-int(config.IMAGE_MAX_DIM) // SIZE_DIVISIBLE) * SIZE_DIVISIBLE
    return (side, side, 3)


def build_torchvision_training_model(config) -> keras.Model:
    """The training model for a validated Config with ARCHITECTURE torchvision_v1 / _v2 (see
    the module docstring). BatchNorm layers run with the ``training`` flag the model is called
    with (training.trainer passes False unless v2 and TRAIN_BN); v1's FrozenBatchNorm is kept
    out of training by training.layer_selection. Runs in float32."""
    version = VERSIONS[config.ARCHITECTURE]
    inputs = training_inputs(config, training_image_shape(config))
    image, image_meta, anchors, gt_class_ids, gt_boxes, gt_masks = inputs

    p_maps, logits, deltas, proposals, _ = region_proposals_torchvision(
        image, image_meta, anchors, config, proposal_count=config.POST_NMS_ROIS_TRAINING)

    rois, target_class_ids, target_bbox, target_mask = TorchvisionDetectionTargets(
        rois_per_image=config.TRAIN_ROIS_PER_IMAGE, positive_ratio=config.ROI_POSITIVE_RATIO,
        bbox_std_dev=config.BBOX_STD_DEV, mask_shape=config.MASK_SHAPE,
        mini_mask=config.USE_MINI_MASK, name="proposal_targets")(
        [proposals, gt_class_ids, gt_boxes, gt_masks, image_meta])
    is_roi = keras.ops.any(keras.ops.not_equal(rois, 0.0), axis=-1)

    roi_maps = p_maps[:4]
    pooled = TorchvisionRoIAlign(output_size=config.POOL_SIZE, name="box_roi_pool")(
        [rois, *roi_maps])
    class_logits, box_deltas = box_head(pooled, rois, is_roi, version=version,
                                        num_classes=config.NUM_CLASSES,
                                        fc_size=config.FPN_CLASSIF_FC_LAYERS_SIZE)
    mask_pooled = TorchvisionRoIAlign(output_size=config.MASK_POOL_SIZE, name="mask_roi_pool")(
        [rois, *roi_maps])
    mask_probs = mask_head(mask_pooled, rois, target_class_ids > 0, version=version,
                           num_classes=config.NUM_CLASSES)

    outputs = {
        "rpn_class_logits": layers.Concatenate(axis=1, name="rpn_class_logits")(logits),
        "rpn_bbox": layers.Concatenate(axis=1, name="rpn_bbox")(deltas),
        "rois": rois, "target_class_ids": target_class_ids, "target_bbox": target_bbox,
        "target_mask": target_mask, "mrcnn_class_logits": class_logits,
        "mrcnn_bbox": layers.Reshape((-1, config.NUM_CLASSES, 4), name="mrcnn_bbox")(box_deltas),
        "mrcnn_mask": mask_probs}
    return keras.Model(inputs, outputs, name=f"maskrcnn_resnet50_fpn_{version}_training")
