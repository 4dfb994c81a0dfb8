"""DetectionLayer: classifier outputs to final detections (see ops.detections)."""
from __future__ import annotations

import keras

from mrcnn_tf.ops.boxes_graph import norm_boxes_graph
from mrcnn_tf.ops.detections import detect_batch
from mrcnn_tf.ops.image_meta import parse_image_meta


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class DetectionLayer(keras.layers.Layer):
    """Inputs: [rois float32 [B, N, 4] normalized, mrcnn_class float32 [B, N, C] probabilities,
    mrcnn_bbox float32 [B, N, C, 4] deltas, image_meta float32 [B, META_SIZE]].
    Output: float32 [B, max_instances, 6] (y1, x1, y2, x2, class_id, score), boxes normalized
    to the molded image, zero padded."""

    def __init__(self, *, bbox_std_dev, min_confidence, nms_threshold, max_instances, **kwargs):
        kwargs.setdefault("dtype", "float32")  # box maths stays float32 under mixed precision
        super().__init__(**kwargs)
        self.bbox_std_dev = [float(v) for v in bbox_std_dev]
        self.min_confidence = float(min_confidence)
        self.nms_threshold = float(nms_threshold)
        self.max_instances = int(max_instances)

    def call(self, inputs):
        rois, probs, deltas, image_meta = inputs
        meta = parse_image_meta(image_meta)
        windows = norm_boxes_graph(meta["window"], meta["image_shape"][0][:2])
        return detect_batch(rois, probs, deltas, windows, bbox_std_dev=self.bbox_std_dev,
                            min_confidence=self.min_confidence,
                            nms_threshold=self.nms_threshold, max_instances=self.max_instances)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.max_instances, 6)

    def get_config(self):
        return {**super().get_config(), "bbox_std_dev": self.bbox_std_dev,
                "min_confidence": self.min_confidence, "nms_threshold": self.nms_threshold,
                "max_instances": self.max_instances}
