"""Assembly of the Mask R-CNN inference graph from its stages.

Shape shorthand: B images, H x W molded image, A anchors, R = POST_NMS_ROIS_INFERENCE proposals,
D = DETECTION_MAX_INSTANCES, C = NUM_CLASSES. Boxes are normalized (y1, x1, y2, x2).

Inputs: ``input_image`` float32 [B, H, W, 3] mean-subtracted, ``input_image_meta`` float32
[B, IMAGE_META_SIZE] (see ops.image_meta), ``input_anchors`` float32 [B, A, 4].
Outputs, in matterport's order: ``mrcnn_detection`` [B, D, 6] (y1, x1, y2, x2, class_id,
score), ``mrcnn_class`` [B, R, C], ``mrcnn_bbox`` [B, R, C, 4], ``mrcnn_mask``
[B, D, 28, 28, C], ``ROI`` [B, R, 4], ``rpn_class`` [B, A, 2], ``rpn_bbox`` [B, A, 4].
"""
from __future__ import annotations

import keras

from mrcnn_tf.layers import DetectionLayer
from mrcnn_tf.modeling.matterport_heads import classifier_head, mask_head
from mrcnn_tf.modeling.matterport_proposals import region_proposals


def build_inference_model(config) -> keras.Model:
    """The inference model for a validated Config (see module docstring for inputs/outputs).

    The convolution stacks (backbone, FPN, RPN head) run in config.COMPUTE_DTYPE, and so do
    the heads' convolutions when config.LOW_PRECISION_HEADS; proposals, ROIAlign, the heads'
    output layers and detection run in float32. BatchNorm uses its moving statistics
    whatever config.TRAIN_BN says (that field is for training; matterport's True would use
    each input's own statistics even when predicting). With config.FOLD_BATCH_NORM the
    BatchNorm layers are identities and load_weights folds them into the convolutions.
    """
    heads_dtype = config.COMPUTE_DTYPE if config.LOW_PRECISION_HEADS else "float32"
    image = keras.Input(shape=(None, None, config.IMAGE_CHANNEL_COUNT), name="input_image")
    image_meta = keras.Input(shape=(config.IMAGE_META_SIZE,), name="input_image_meta")
    anchors = keras.Input(shape=(None, 4), name="input_anchors")

    stages = region_proposals(image, anchors, config,
                              proposal_count=config.POST_NMS_ROIS_INFERENCE,
                              train_bn=False, compute_dtype=config.COMPUTE_DTYPE,
                              fold_bn=config.FOLD_BATCH_NORM)
    rpn_rois = stages.proposals
    mrcnn_feature_maps = stages.p_maps[:4]  # P6 is for the RPN only

    _, mrcnn_class, mrcnn_bbox = classifier_head(
        rpn_rois, mrcnn_feature_maps, image_meta, pool_size=config.POOL_SIZE,
        num_classes=config.NUM_CLASSES, fc_size=config.FPN_CLASSIF_FC_LAYERS_SIZE,
        train_bn=False, compute_dtype=heads_dtype, fold_bn=config.FOLD_BATCH_NORM)
    detections = DetectionLayer(bbox_std_dev=config.BBOX_STD_DEV,
                                min_confidence=config.DETECTION_MIN_CONFIDENCE,
                                nms_threshold=config.DETECTION_NMS_THRESHOLD,
                                max_instances=config.DETECTION_MAX_INSTANCES,
                                name="mrcnn_detection")(
        [rpn_rois, mrcnn_class, mrcnn_bbox, image_meta])
    detection_boxes = detections[..., :4]
    is_detection = detections[..., 4] > 0  # padding rows have class id 0
    mrcnn_mask = mask_head(detection_boxes, mrcnn_feature_maps, image_meta,
                           pool_size=config.MASK_POOL_SIZE, num_classes=config.NUM_CLASSES,
                           valid=is_detection, train_bn=False, compute_dtype=heads_dtype,
                           fold_bn=config.FOLD_BATCH_NORM)

    return keras.Model([image, image_meta, anchors],
                       [detections, mrcnn_class, mrcnn_bbox, mrcnn_mask, rpn_rois,
                        stages.rpn_class, stages.rpn_bbox], name="mask_rcnn")
