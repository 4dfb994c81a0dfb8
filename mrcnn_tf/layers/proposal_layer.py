"""ProposalLayer: RPN outputs to normalized proposals (see ops.proposals)."""
from __future__ import annotations

import keras

from mrcnn_tf.ops.proposals import generate_proposals


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class ProposalLayer(keras.layers.Layer):
    """Inputs: [rpn_probs float32 [B, A, 2], rpn_bbox float32 [B, A, 4], anchors float32 [B, A, 4]
    normalized]. Output: proposals float32 [B, proposal_count, 4] normalized, zero padded."""

    def __init__(self, *, proposal_count, nms_threshold, pre_nms_limit, bbox_std_dev, **kwargs):
        kwargs.setdefault("dtype", "float32")  # box maths stays float32 under mixed precision
        super().__init__(**kwargs)
        self.proposal_count = int(proposal_count)
        self.nms_threshold = float(nms_threshold)
        self.pre_nms_limit = int(pre_nms_limit)
        self.bbox_std_dev = [float(v) for v in bbox_std_dev]

    def call(self, inputs):
        rpn_probs, rpn_bbox, anchors = inputs
        return generate_proposals(rpn_probs[:, :, 1], rpn_bbox, anchors,
                                  pre_nms_limit=self.pre_nms_limit,
                                  proposal_count=self.proposal_count,
                                  nms_threshold=self.nms_threshold,
                                  bbox_std_dev=self.bbox_std_dev)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.proposal_count, 4)

    def get_config(self):
        return {**super().get_config(), "proposal_count": self.proposal_count,
                "nms_threshold": self.nms_threshold, "pre_nms_limit": self.pre_nms_limit,
                "bbox_std_dev": self.bbox_std_dev}
