"""Assembly of torchvision's Mask R-CNN (maskrcnn_resnet50_fpn v1 / _v2) inference graph.

Shape shorthand: B images, H x W padded molded image (multiples of 32), A anchors,
P = POST_NMS_ROIS_INFERENCE proposals, D = DETECTION_MAX_INSTANCES, C = NUM_CLASSES (91).
Boxes are (y1, x1, y2, x2) pixels of the molded image (torchvision computes in pixels).

Inputs, as the matterport family's: ``input_image`` float32 [B, H, W, 3] normalized
((pixel - MEAN_PIXEL) / PIXEL_STD, zero padding bottom/right), ``input_image_meta`` [B, META]
(window (0, 0, h, w) = resized image size), ``input_anchors`` [B, A, 4] pixels
(ops.torchvision_anchors). Outputs: ``detections`` [B, D, 6] (y1, x1, y2, x2, class_id,
score), ``masks`` [B, D, 28, 28] the detection's class probabilities.
"""
from __future__ import annotations

import keras

from mrcnn_tf.layers import (SelectClassMask, TorchvisionDetections, TorchvisionProposals,
                             TorchvisionRoIAlign)
from mrcnn_tf.modeling.precision import dtype_policy
from mrcnn_tf.modeling.torchvision_fpn import feature_pyramid_torchvision
from mrcnn_tf.modeling.torchvision_heads import box_head, mask_head, rpn_head
from mrcnn_tf.modeling.torchvision_resnet import resnet50_body
from mrcnn_tf.ops.torchvision_boxes import delta_weights_from_std

VERSIONS = {"torchvision_v1": "v1", "torchvision_v2": "v2"}


def region_proposals_torchvision(image, image_meta, anchors, config, *, proposal_count,
                                 compute_dtype="float32"):
    """The stages both graphs share: ResNet-50 body -> FPN -> RPN head -> proposals.

    image [B, H, W, 3] normalized, image_meta [B, META], anchors [B, A, 4] pixels.
    Returns (p_maps [P2..P6 "pool"], logits: list of 5 [B, A_l], deltas: list of 5 [B, A_l,
    4], proposals [B, proposal_count, 4] pixels zero padded, valid bool [B, proposal_count]).
    The convolution stacks run in compute_dtype, the proposals in float32.
    """
    version = VERSIONS[config.ARCHITECTURE]
    with dtype_policy(compute_dtype):
        c_maps = resnet50_body(image)
        p_maps = feature_pyramid_torchvision(c_maps, config.TOP_DOWN_PYRAMID_SIZE,
                                             norm=version == "v2")
        logits, deltas = rpn_head(p_maps, len(config.RPN_ANCHOR_RATIOS),
                                  conv_depth=1 if version == "v1" else 2)
    proposals, valid = TorchvisionProposals(
        pre_nms_top_n=config.PRE_NMS_LIMIT, post_nms_top_n=proposal_count,
        nms_threshold=config.RPN_NMS_THRESHOLD,
        weights=delta_weights_from_std(config.RPN_BBOX_STD_DEV),
        name="proposals")([image_meta, anchors, *logits, *deltas])
    return p_maps, logits, deltas, proposals, valid


def build_torchvision_model(config) -> keras.Model:
    """The inference model for a validated Config with ARCHITECTURE torchvision_v1 / _v2."""
    version = VERSIONS[config.ARCHITECTURE]
    image = keras.Input(shape=(None, None, 3), name="input_image")
    image_meta = keras.Input(shape=(config.IMAGE_META_SIZE,), name="input_image_meta")
    anchors = keras.Input(shape=(None, 4), name="input_anchors")

    p_maps, _, _, proposals, valid = region_proposals_torchvision(
        image, image_meta, anchors, config, proposal_count=config.POST_NMS_ROIS_INFERENCE,
        compute_dtype=config.COMPUTE_DTYPE)

    roi_maps = p_maps[:4]  # the "pool" level is for the RPN only
    pooled = TorchvisionRoIAlign(output_size=config.POOL_SIZE, name="box_roi_pool")(
        [proposals, *roi_maps])
    class_logits, box_deltas = box_head(pooled, proposals, valid, version=version,
                                        num_classes=config.NUM_CLASSES,
                                        fc_size=config.FPN_CLASSIF_FC_LAYERS_SIZE)
    detections = TorchvisionDetections(
        weights=delta_weights_from_std(config.BBOX_STD_DEV),
        score_threshold=config.DETECTION_MIN_CONFIDENCE,
        nms_threshold=config.DETECTION_NMS_THRESHOLD,
        max_detections=config.DETECTION_MAX_INSTANCES,
        name="detections")([proposals, valid, class_logits, box_deltas, image_meta])

    is_detection = detections[..., 4] > 0
    mask_pooled = TorchvisionRoIAlign(output_size=config.MASK_POOL_SIZE, name="mask_roi_pool")(
        [detections[..., :4], *roi_maps])
    mask_probs = mask_head(mask_pooled, detections[..., :4], is_detection, version=version,
                           num_classes=config.NUM_CLASSES)
    masks = SelectClassMask(name="masks")([mask_probs, detections])
    return keras.Model([image, image_meta, anchors], [detections, masks],
                       name=f"maskrcnn_resnet50_fpn_{version}")
