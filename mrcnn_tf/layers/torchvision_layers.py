"""Thin Keras layers over the torchvision-family ops (ops.torchvision_*).

Boxes are float32 (y1, x1, y2, x2) in pixels of the padded molded image, as torchvision
computes them. The image meta vector (ops.image_meta) gives each image's resized size as its
window (0, 0, height, width).
"""
from __future__ import annotations

import keras
import tensorflow as tf

from mrcnn_tf.ops.image_meta import parse_image_meta
from mrcnn_tf.ops.torchvision_detections import detect_batch
from mrcnn_tf.ops.torchvision_proposals import batch_proposals
from mrcnn_tf.ops.torchvision_roi_align import multiscale_roi_align_torchvision


def _image_hw(image_meta):
    return parse_image_meta(image_meta)["window"][:, 2:4]


class _Float32Layer(keras.layers.Layer):
    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class TorchvisionProposals(_Float32Layer):
    """Inputs: [image_meta [B, META], anchors [B, A, 4], L objectness logits [B, A_l],
    L deltas [B, A_l, 4]]. Outputs: [proposals [B, P, 4] pixels, valid bool [B, P]]
    (see ops.torchvision_proposals)."""

    def __init__(self, *, pre_nms_top_n, post_nms_top_n, nms_threshold, min_size=1e-3,
                 score_threshold=0.0, weights=(1.0, 1.0, 1.0, 1.0), **kwargs):
        super().__init__(**kwargs)
        self.pre_nms_top_n = int(pre_nms_top_n)
        self.post_nms_top_n = int(post_nms_top_n)
        self.nms_threshold = float(nms_threshold)
        self.min_size = float(min_size)
        self.score_threshold = float(score_threshold)
        self.delta_weights = [float(w) for w in weights]

    def call(self, inputs):
        image_meta, anchors, *per_level = inputs
        levels = len(per_level) // 2
        boxes, _, valid = batch_proposals(
            per_level[:levels], per_level[levels:], anchors, _image_hw(image_meta),
            pre_nms_top_n=self.pre_nms_top_n, post_nms_top_n=self.post_nms_top_n,
            nms_threshold=self.nms_threshold, min_size=self.min_size,
            score_threshold=self.score_threshold, weights=self.delta_weights)
        return [boxes, valid]

    def compute_output_shape(self, input_shape):
        batch = input_shape[0][0]
        return [(batch, self.post_nms_top_n, 4), (batch, self.post_nms_top_n)]

    def compute_output_spec(self, inputs):
        batch = inputs[0].shape[0]
        return [keras.KerasTensor((batch, self.post_nms_top_n, 4), "float32"),
                keras.KerasTensor((batch, self.post_nms_top_n), "bool")]

    def get_config(self):
        return {**super().get_config(), "pre_nms_top_n": self.pre_nms_top_n,
                "post_nms_top_n": self.post_nms_top_n, "nms_threshold": self.nms_threshold,
                "min_size": self.min_size, "score_threshold": self.score_threshold,
                "weights": self.delta_weights}


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class TorchvisionRoIAlign(_Float32Layer):
    """Inputs: [boxes [B, N, 4] pixels, P2, P3, P4, P5]. Output: [B, N, S, S, C]
    (torchvision's MultiScaleRoIAlign, see ops.torchvision_roi_align)."""

    def __init__(self, *, output_size, sampling_ratio=2, **kwargs):
        super().__init__(**kwargs)
        self.output_size = int(output_size)
        self.sampling_ratio = int(sampling_ratio)

    def call(self, inputs):
        boxes, *feature_maps = inputs
        return multiscale_roi_align_torchvision(
            boxes, [tf.cast(f, tf.float32) for f in feature_maps],
            output_size=self.output_size, sampling_ratio=self.sampling_ratio)

    def compute_output_shape(self, input_shape):
        boxes, first = input_shape[0], input_shape[1]
        return (boxes[0], boxes[1], self.output_size, self.output_size, first[-1])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "sampling_ratio": self.sampling_ratio}


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class TorchvisionDetections(_Float32Layer):
    """Inputs: [proposals [B, N, 4], valid bool [B, N], class_logits [B, N, C],
    box_deltas [B, N, C * 4] (dx, dy, dw, dh per class), image_meta]. Output: [B, D, 6]
    (y1, x1, y2, x2 pixels, class_id, score), zero padded (see ops.torchvision_detections)."""

    def __init__(self, *, weights, score_threshold, nms_threshold, max_detections,
                 min_size=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.delta_weights = [float(w) for w in weights]
        self.score_threshold = float(score_threshold)
        self.nms_threshold = float(nms_threshold)
        self.max_detections = int(max_detections)
        self.min_size = float(min_size)

    def call(self, inputs):
        proposals, valid, logits, deltas, image_meta = inputs
        deltas = tf.reshape(deltas, tf.concat([tf.shape(logits), [4]], axis=0))
        return detect_batch(proposals, valid, logits, deltas, _image_hw(image_meta),
                            weights=self.delta_weights, score_threshold=self.score_threshold,
                            nms_threshold=self.nms_threshold,
                            max_detections=self.max_detections, min_size=self.min_size)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.max_detections, 6)

    def get_config(self):
        return {**super().get_config(), "weights": self.delta_weights,
                "score_threshold": self.score_threshold, "nms_threshold": self.nms_threshold,
                "max_detections": self.max_detections, "min_size": self.min_size}


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class SelectClassMask(_Float32Layer):
    """Inputs: [masks [B, D, M, M, C], detections [B, D, 6]]. Output: [B, D, M, M], each
    detection's mask of its own class (column 4 of detections; padding rows give class 0)."""

    def call(self, inputs):
        masks, detections = inputs
        class_ids = tf.cast(detections[..., 4], tf.int32)
        per_class = tf.transpose(masks, [0, 1, 4, 2, 3])
        return tf.gather(per_class, class_ids, axis=2, batch_dims=2)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:4])
