"""The stages the inference and training models share: backbone -> FPN -> RPN -> proposals.

Shape shorthand: B images, A anchors, R proposals. Boxes are normalized (y1, x1, y2, x2).
"""
from __future__ import annotations

import dataclasses

from mrcnn_tf.layers import ProposalLayer
from mrcnn_tf.modeling.backbone import backbone_features
from mrcnn_tf.modeling.matterport_fpn import feature_pyramid
from mrcnn_tf.modeling.precision import dtype_policy
from mrcnn_tf.modeling.matterport_rpn import build_rpn_model, rpn_outputs


@dataclasses.dataclass
class RegionProposals:
    """p_maps: [P2, P3, P4, P5, P6]; rpn_class_logits [B, A, 2]; rpn_class [B, A, 2]
    (softmax); rpn_bbox [B, A, 4] deltas; proposals [B, R, 4] (layer "ROI")."""

    p_maps: list
    rpn_class_logits: object
    rpn_class: object
    rpn_bbox: object
    proposals: object


def region_proposals(image, anchors, config, *, proposal_count, train_bn,
                     compute_dtype="float32", fold_bn=False) -> RegionProposals:
    """Build the shared stages on the model inputs image [B, H, W, 3] and anchors [B, A, 4].

    proposal_count: POST_NMS_ROIS_INFERENCE or POST_NMS_ROIS_TRAINING. The convolution stacks
    (backbone, FPN, RPN head) run in compute_dtype, the package's own with their weights
    stored in it (modeling.precision; a callable backbone's layers keep float32 weights:
    their normalization layers may need them); the proposals run in float32. fold_bn: the
    ResNet's BatchNorm folded into its convolutions (inference only).
    """
    with dtype_policy(compute_dtype, low_precision_weights=not callable(config.BACKBONE)):
        c_maps = backbone_features(image, config.BACKBONE, train_bn=train_bn, fold_bn=fold_bn)
    with dtype_policy(compute_dtype, low_precision_weights=True):
        p_maps = feature_pyramid(c_maps, config.TOP_DOWN_PYRAMID_SIZE)
        rpn = build_rpn_model(len(config.RPN_ANCHOR_RATIOS), config.TOP_DOWN_PYRAMID_SIZE,
                              config.RPN_ANCHOR_STRIDE)
        rpn_class_logits, rpn_class, rpn_bbox = rpn_outputs(rpn, p_maps)
    proposals = ProposalLayer(proposal_count=proposal_count,
                              nms_threshold=config.RPN_NMS_THRESHOLD,
                              pre_nms_limit=config.PRE_NMS_LIMIT,
                              bbox_std_dev=config.RPN_BBOX_STD_DEV,
                              name="ROI")([rpn_class, rpn_bbox, anchors])
    return RegionProposals(p_maps, rpn_class_logits, rpn_class, rpn_bbox, proposals)
