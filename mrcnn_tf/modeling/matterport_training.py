"""Assembly of the Mask R-CNN training graph from the same stage builders as inference.

Shape shorthand: B images, H x W molded image (IMAGE_SHAPE), A anchors, G = MAX_GT_INSTANCES,
h x w stored gt mask size (MINI_MASK_SHAPE, or H x W without mini masks), T =
TRAIN_ROIS_PER_IMAGE, C = NUM_CLASSES, S x S = MASK_SHAPE.

Inputs: ``input_image`` float32 [B, H, W, 3] mean-subtracted, ``input_image_meta`` float32
[B, IMAGE_META_SIZE], ``input_anchors`` float32 [B, A, 4] normalized, ``input_gt_class_ids``
int32 [B, G] (0 padding, < 0 crowd), ``input_gt_boxes`` float32 [B, G, 4] pixels,
``input_gt_masks`` uint8 [B, h, w, G] (0/1; uint8 rather than bool so that tf.distribute can
reduce a batch).
Outputs (a dict): ``rpn_class_logits`` [B, A, 2], ``rpn_bbox`` [B, A, 4], ``rois`` [B, T, 4]
normalized, ``target_class_ids`` int32 [B, T], ``target_bbox`` [B, T, 4], ``target_mask``
[B, T, S, S], ``mrcnn_class_logits`` [B, T, C], ``mrcnn_bbox`` [B, T, C, 4], ``mrcnn_mask``
[B, T, S, S, C] (computed for the positive ROIs only, zeros elsewhere; an empty batch of
positives is safe, see layers.roi_axis).
The weighted layers are the inference model's, with the same names.
"""
from __future__ import annotations

import keras

from mrcnn_tf.layers.detection_target_layer import DetectionTargetLayer
from mrcnn_tf.modeling.matterport_heads import classifier_head, mask_head
from mrcnn_tf.modeling.matterport_proposals import region_proposals
from mrcnn_tf.modeling.training_inputs import training_inputs


def build_training_model(config) -> keras.Model:
    """The training model for a validated Config (see module docstring for inputs/outputs).

    BatchNorm runs in inference mode when config.TRAIN_BN is False; when True it follows the
    ``training`` flag the model is called with. The graph runs in float32 (COMPUTE_DTYPE is an
    inference setting).
    """
    train_bn = None if config.TRAIN_BN else False
    inputs = training_inputs(config, config.IMAGE_SHAPE)
    image, image_meta, anchors, gt_class_ids, gt_boxes, gt_masks = inputs

    stages = region_proposals(image, anchors, config,
                              proposal_count=config.POST_NMS_ROIS_TRAINING, train_bn=train_bn)
    p_maps = stages.p_maps

    rois, target_class_ids, target_bbox, target_mask = DetectionTargetLayer(
        rois_per_image=config.TRAIN_ROIS_PER_IMAGE, positive_ratio=config.ROI_POSITIVE_RATIO,
        bbox_std_dev=config.BBOX_STD_DEV, mask_shape=config.MASK_SHAPE,
        mini_mask=config.USE_MINI_MASK, name="proposal_targets")(
        [stages.proposals, gt_class_ids, gt_boxes, gt_masks, image_meta])
    mrcnn_class_logits, _, mrcnn_bbox = classifier_head(
        rois, p_maps[:4], image_meta, pool_size=config.POOL_SIZE,
        num_classes=config.NUM_CLASSES, fc_size=config.FPN_CLASSIF_FC_LAYERS_SIZE,
        train_bn=train_bn)
    mrcnn_mask = mask_head(rois, p_maps[:4], image_meta, pool_size=config.MASK_POOL_SIZE,
                           num_classes=config.NUM_CLASSES, valid=target_class_ids > 0,
                           train_bn=train_bn)

    outputs = {"rpn_class_logits": stages.rpn_class_logits, "rpn_bbox": stages.rpn_bbox,
               "rois": rois,
               "target_class_ids": target_class_ids, "target_bbox": target_bbox,
               "target_mask": target_mask, "mrcnn_class_logits": mrcnn_class_logits,
               "mrcnn_bbox": mrcnn_bbox, "mrcnn_mask": mrcnn_mask}
    return keras.Model(inputs, outputs, name="mask_rcnn_training")
