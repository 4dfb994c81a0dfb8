"""Portable variants of the package's graph layers, for conversion (issue 29).

Each subclass computes what its parent computes, with ops that ONNX, OpenVINO and LiteRT all
have: no tf.map_fn / while loops (the batch axis must be static and is unrolled in Python), no
CropAndResize (ops.portable_roi_align), no DynamicStitch, no CombinedNonMaxSuppression
(per-class NMS is one tf.image.non_max_suppression over boxes shifted apart by class, the
coordinate trick torchvision's batched_nms uses), and the ROI-axis folding keeps every row
(fixed shapes; rows that are not valid come out as zeros, as before).

``PORTABLE_VARIANTS`` maps each original layer class to its portable subclass;
``portable_layer(layer)`` gives the portable twin of a layer (same config and name) or the
layer itself (its weights shared) when it needs none.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from mrcnn_tf.layers.detection_layer import DetectionLayer
from mrcnn_tf.layers.proposal_layer import ProposalLayer
from mrcnn_tf.layers.roi_align_layer import PyramidROIAlign
from mrcnn_tf.layers.roi_axis import MergeRoiAxis, SplitRoiAxis
from mrcnn_tf.layers.torchvision_layers import (SelectClassMask, TorchvisionDetections,
                                                TorchvisionProposals, TorchvisionRoIAlign,
                                                _image_hw)
from mrcnn_tf.ops.boxes_graph import (apply_box_deltas_graph, clip_boxes_graph,
                                      norm_boxes_graph)
from mrcnn_tf.ops.image_meta import parse_image_meta
from mrcnn_tf.ops.portable_roi_align import (pyramid_crop_and_resize_portable,
                                             pyramid_roi_align_torchvision_portable)
from mrcnn_tf.ops.roi_align import MAX_LEVEL, MIN_LEVEL, roi_levels
from mrcnn_tf.ops.torchvision_boxes import clip_boxes, decode_boxes, large_enough
from mrcnn_tf.ops.torchvision_roi_align import roi_levels_torchvision


def static_batch(tensor) -> int:
    """The static batch size; the portable graph unrolls the batch, so it must be known."""
    batch = tensor.shape[0]
    if batch is None:
        raise ValueError("the portable graph needs a fixed batch size (trace it with a fully "
                         "specified input shape)")
    return int(batch)


def _pad_rows(rows, count):
    """rows [K, ...] (K <= count) zero padded to [count, ...]."""
    missing = count - tf.shape(rows)[0]
    paddings = tf.concat([tf.stack([0, missing])[None],
                          tf.zeros([len(rows.shape) - 1, 2], tf.int32)], axis=0)
    padded = tf.pad(rows, paddings)
    return tf.reshape(padded, [count] + list(rows.shape[1:]))


def portable_nms(boxes, scores, max_output, iou_threshold, candidates=None):
    """tf.image.non_max_suppression(boxes, scores, max_output, iou_threshold) from ops every
    converter maps: int32 [<= max_output] indices into boxes, by descending score.

    TensorFlow's NMS takes equal scores lowest index first and lets boxes of zero area neither
    suppress nor be suppressed; runtimes differ on both (LiteRT's kernel takes ties in any
    order and selects an empty box over and over). So the boxes are first sorted by score
    (top_k keeps ties in index order), the NMS sees ranks instead of scores (no ties) and only
    the boxes with an area; the empty ones, always selected in TensorFlow, join the selection
    after it. NonMaxSuppressionV4 runs padded to a static size (LiteRT's builtin always pads)
    and is cut to its valid count; the selection is put in rank order and cut to max_output.
    candidates: a static bound on the number of boxes (default boxes' static length).
    """
    bound = int(candidates if candidates is not None else boxes.shape[0])
    count = tf.shape(scores)[0]
    order = tf.math.top_k(scores, count).indices
    boxes = tf.gather(boxes, order)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    has_area = area > 0
    rank = tf.cast(count - tf.range(count), tf.float32)  # count .. 1, descending score
    selected, valid = tf.raw_ops.NonMaxSuppressionV4(
        boxes=boxes, scores=tf.where(has_area, rank, 0.0), max_output_size=bound,
        iou_threshold=iou_threshold, score_threshold=0.5, pad_to_max_output_size=True)
    empty = tf.cast(tf.reshape(tf.where(tf.logical_not(has_area)), [-1]), tf.int32)
    chosen = tf.concat([selected[:valid], empty], axis=0)
    first = -tf.math.top_k(-chosen, tf.minimum(max_output, tf.shape(chosen)[0])).values
    return tf.gather(order, first)


TIE_FREE_TOP_K = "tie_free_top_k"  # the name of the top_k ops whose order of ties is moot


def index_order_top_k(values, k):
    """tf.math.top_k(values, k) of a long 1-D float32 values [N] (equal values: the lower
    index first), built so that the top_k over all N values need not keep that order itself:
    OpenVINO's stable TopK, which the others need (runtime.openvino_graph), takes seconds on
    the RPN's 261888 scores.

    The k-th largest value v is the same whatever a kernel does with ties; every value above
    v is taken, and of those equal to v the lowest indices. A second top_k picks exactly these
    k by keys that differ (N - index, plus N above v), in index order within each group; a
    last top_k over just these k sorts them by value, ties in that order. The two top_k over
    N are named TIE_FREE_TOP_K: make_topk_stable leaves them as they are.
    Returns (values [k] descending, indices int32 [k]).
    """
    count = values.shape[0] if values.shape[0] is not None else tf.shape(values)[0]
    kth = tf.math.top_k(values, k, name=TIE_FREE_TOP_K).values[k - 1]
    size = tf.cast(count, tf.float32)
    position = size - tf.cast(tf.range(count), tf.float32)  # N .. 1, exact below 2 ** 24
    key = tf.where(values > kth, position + size, tf.where(values == kth, position, 0.0))
    chosen = tf.math.top_k(key, k, name=TIE_FREE_TOP_K).indices
    top_values, order = tf.math.top_k(tf.gather(values, chosen), k)
    return top_values, tf.gather(chosen, order)


def class_aware_nms(boxes, scores, class_ids, max_output, iou_threshold, class_spacing,
                    candidates):
    """Per-class NMS as one NMS: boxes float32 [K, 4] shifted by class_id * class_spacing
    (larger than any box coordinate), so boxes of different classes never overlap.
    Returns int32 [<= max_output] indices into boxes, by descending score."""
    offsets = tf.cast(class_ids, tf.float32)[:, None] * class_spacing
    return portable_nms(boxes + offsets, scores, max_output, iou_threshold, candidates)


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableProposalLayer(ProposalLayer):
    """ProposalLayer without tf.map_fn (ops.proposals.generate_proposals, batch unrolled)."""

    def call(self, inputs):
        rpn_probs, rpn_bbox, anchors = inputs
        batch = static_batch(rpn_probs)
        fg_scores = rpn_probs[:, :, 1]
        deltas = rpn_bbox * tf.reshape(tf.constant(self.bbox_std_dev, tf.float32), [1, 1, 4])
        k = min(self.pre_nms_limit, int(anchors.shape[1])) if anchors.shape[1] else tf.minimum(
            self.pre_nms_limit, tf.shape(anchors)[1])
        proposals = []
        for b in range(batch):
            scores, top = index_order_top_k(fg_scores[b], k)
            boxes = apply_box_deltas_graph(tf.gather(anchors[b], top), tf.gather(deltas[b], top))
            boxes = clip_boxes_graph(boxes, tf.constant([0.0, 0.0, 1.0, 1.0]))
            keep = portable_nms(boxes, scores, self.proposal_count, self.nms_threshold)
            proposals.append(_pad_rows(tf.gather(boxes, keep), self.proposal_count))
        return tf.stack(proposals)


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortablePyramidROIAlign(PyramidROIAlign):
    """PyramidROIAlign from gathers: each box cropped on its own level by
    pyramid_crop_and_resize_portable (one gather over the levels flattened together; no
    dynamic stitch)."""

    def call(self, inputs):
        boxes, image_meta, *feature_maps = inputs
        image_shape = parse_image_meta(image_meta)["image_shape"][0]
        batch = static_batch(boxes)
        count = boxes.shape[1]
        flat_boxes = tf.reshape(boxes, [-1, 4])
        box_images = tf.repeat(tf.range(batch), count)
        image_area = tf.cast(image_shape[0], tf.float32) * tf.cast(image_shape[1], tf.float32)
        levels = roi_levels(flat_boxes, image_area) - MIN_LEVEL
        size = [self.pool_size, self.pool_size]
        maps = [tf.cast(feature_map, tf.float32)
                for feature_map in feature_maps[:MAX_LEVEL - MIN_LEVEL + 1]]
        pooled = pyramid_crop_and_resize_portable(maps, flat_boxes, box_images, levels, size)
        channels = feature_maps[0].shape[-1]
        return tf.reshape(pooled, [batch, count, self.pool_size, self.pool_size, channels])


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableDetectionLayer(DetectionLayer):
    """DetectionLayer without tf.map_fn (ops.detections.refine_detections per image, the
    per-class NMS as one class-aware NMS)."""

    def call(self, inputs):
        rois, probs, deltas, image_meta = inputs
        meta = parse_image_meta(image_meta)
        windows = norm_boxes_graph(meta["window"], meta["image_shape"][0][:2])
        batch = static_batch(rois)
        return tf.stack([self._one_image(rois[b], probs[b], deltas[b], windows[b])
                         for b in range(batch)])

    def _one_image(self, rois, probs, deltas, window):
        class_ids = tf.argmax(probs, axis=1, output_type=tf.int32)
        class_scores = tf.reduce_max(probs, axis=1)
        num_classes = probs.shape[-1]
        one_hot = tf.one_hot(class_ids, num_classes, dtype=tf.float32)  # no GatherNd
        specific = (tf.reduce_sum(deltas * one_hot[:, :, None], axis=1)
                    * tf.constant(self.bbox_std_dev, tf.float32))
        refined = clip_boxes_graph(apply_box_deltas_graph(rois, specific), window)
        keep = tf.reshape(tf.where((class_ids > 0) & (class_scores >= self.min_confidence)),
                          [-1])
        pre_ids = tf.gather(class_ids, keep)
        pre_scores = tf.gather(class_scores, keep)
        pre_boxes = tf.gather(refined, keep)
        chosen = class_aware_nms(pre_boxes, pre_scores, pre_ids, self.max_instances,
                                 self.nms_threshold, class_spacing=2.0,
                                 candidates=rois.shape[0])
        detections = tf.concat([tf.gather(pre_boxes, chosen),
                                tf.cast(tf.gather(pre_ids, chosen), tf.float32)[:, None],
                                tf.gather(pre_scores, chosen)[:, None]], axis=1)
        return _pad_rows(detections, self.max_instances)


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableMergeRoiAxis(MergeRoiAxis):
    """MergeRoiAxis that folds every row, valid or not ([B * N, *rest]): fixed shapes."""

    def call(self, inputs):
        x = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return tf.reshape(x, [-1] + list(x.shape[2:]))


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableSplitRoiAxis(SplitRoiAxis):
    """SplitRoiAxis for PortableMergeRoiAxis: [B * N, *rest] -> [B, N, *rest], rows that are
    not valid zeroed."""

    def call(self, inputs):
        x, reference = inputs[:2]
        out = tf.reshape(x, [static_batch(reference), reference.shape[1]] + list(x.shape[1:]))
        if len(inputs) == 3:
            valid = tf.cast(inputs[2], out.dtype)
            out = out * tf.reshape(valid, list(valid.shape) + [1] * (len(out.shape) - 2))
        return out


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableTorchvisionProposals(TorchvisionProposals):
    """TorchvisionProposals without tf.map_fn (ops.torchvision_proposals.image_proposals per
    image, batch unrolled)."""

    def call(self, inputs):
        image_meta, anchors, *per_level = inputs
        levels = len(per_level) // 2
        image_hw = _image_hw(image_meta)
        boxes, valid = [], []
        for b in range(static_batch(anchors)):
            image_boxes, image_valid = self._one_image(
                [logits[b] for logits in per_level[:levels]],
                [deltas[b] for deltas in per_level[levels:]], anchors[b], image_hw[b])
            boxes.append(image_boxes)
            valid.append(image_valid)
        return [tf.stack(boxes), tf.stack(valid)]

    def _one_image(self, logits, deltas, anchors, image_hw):
        """ops.torchvision_proposals.image_proposals with portable_nms (level sizes may be
        unknown: the torchvision graph takes any molded size)."""
        kept_boxes, kept_scores = [], []
        offset = 0
        for level_logits, level_deltas in zip(logits, deltas):
            static = level_logits.shape[0]
            count = int(static) if static is not None else tf.shape(level_logits)[0]
            level_anchors = anchors[offset:offset + count]
            offset = offset + count
            k = (min(self.pre_nms_top_n, count) if isinstance(count, int)
                 else tf.minimum(self.pre_nms_top_n, count))
            top_logits, top = index_order_top_k(level_logits, k)
            boxes = decode_boxes(tf.gather(level_deltas, top), tf.gather(level_anchors, top),
                                 self.delta_weights)
            boxes = clip_boxes(boxes, image_hw[0], image_hw[1])
            scores = tf.sigmoid(top_logits)
            keep = tf.reshape(tf.where(tf.logical_and(large_enough(boxes, self.min_size),
                                                      scores >= self.score_threshold)), [-1])
            boxes, scores = tf.gather(boxes, keep), tf.gather(scores, keep)
            bound = min(self.pre_nms_top_n, count) if isinstance(count, int) \
                else self.pre_nms_top_n
            selected = portable_nms(boxes, scores, self.post_nms_top_n, self.nms_threshold,
                                    candidates=bound)
            kept_boxes.append(tf.gather(boxes, selected))
            kept_scores.append(tf.gather(scores, selected))
        boxes = tf.concat(kept_boxes, axis=0)
        scores = tf.concat(kept_scores, axis=0)
        scores, best = tf.math.top_k(scores, tf.minimum(self.post_nms_top_n,
                                                         tf.shape(scores)[0]))
        boxes = _pad_rows(tf.gather(boxes, best), self.post_nms_top_n)
        valid = tf.range(self.post_nms_top_n) < tf.shape(best)[0]
        return boxes, valid


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableTorchvisionRoIAlign(TorchvisionRoIAlign):
    """TorchvisionRoIAlign from gathers: each box on its own level by
    pyramid_roi_align_torchvision_portable."""

    def call(self, inputs):
        boxes, *feature_maps = inputs
        batch = static_batch(boxes)
        count = boxes.shape[1]
        flat_boxes = tf.reshape(boxes, [-1, 4])
        box_images = tf.repeat(tf.range(batch), count)
        min_level = 2
        max_level = min_level + len(feature_maps) - 1
        levels = roi_levels_torchvision(flat_boxes, k_min=min_level,
                                        k_max=max_level) - min_level
        pooled = pyramid_roi_align_torchvision_portable(
            [tf.cast(feature_map, tf.float32) for feature_map in feature_maps], flat_boxes,
            box_images, levels,
            spatial_scales=[2.0 ** -level for level in range(min_level, max_level + 1)],
            output_size=self.output_size, sampling_ratio=self.sampling_ratio)
        channels = feature_maps[0].shape[-1]
        return tf.reshape(pooled, [batch, count, self.output_size, self.output_size, channels])


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableTorchvisionDetections(TorchvisionDetections):
    """TorchvisionDetections without CombinedNonMaxSuppression: per image, every (proposal,
    class) pair that passes the score and size checks goes into one class-aware NMS."""

    def call(self, inputs):
        proposals, valid, logits, deltas, image_meta = inputs
        num_classes = logits.shape[-1]
        image_hw = _image_hw(image_meta)
        batch = static_batch(proposals)
        count = proposals.shape[1]
        deltas = tf.reshape(deltas, [batch, count, num_classes, 4])
        return tf.stack([self._one_image(proposals[b], valid[b], logits[b], deltas[b],
                                         image_hw[b]) for b in range(batch)])

    def _one_image(self, proposals, valid, logits, deltas, image_hw):
        classes = logits.shape[-1] - 1
        probs = tf.nn.softmax(logits, axis=-1)[:, 1:]
        boxes = clip_boxes(decode_boxes(deltas[:, 1:], proposals[:, None], self.delta_weights),
                           image_hw[0], image_hw[1])
        keep = (probs > self.score_threshold) & large_enough(boxes, self.min_size) \
            & valid[:, None]
        keep = tf.reshape(keep, [-1])
        flat_boxes = tf.reshape(boxes, [-1, 4])
        flat_scores = tf.reshape(probs, [-1])
        flat_classes = tf.tile(tf.range(1, classes + 1), [tf.shape(probs)[0]])
        kept = tf.reshape(tf.where(keep), [-1])
        boxes, scores = tf.gather(flat_boxes, kept), tf.gather(flat_scores, kept)
        class_ids = tf.gather(flat_classes, kept)
        spacing = tf.reduce_max(image_hw) + 1.0
        chosen = class_aware_nms(boxes, scores, class_ids, self.max_detections,
                                 self.nms_threshold, spacing,
                                 candidates=int(flat_boxes.shape[0]))
        detections = tf.concat([tf.gather(boxes, chosen),
                                tf.cast(tf.gather(class_ids, chosen), tf.float32)[:, None],
                                tf.gather(scores, chosen)[:, None]], axis=1)
        return _pad_rows(detections, self.max_detections)


def select_class_masks(masks, detections):
    """masks [B, D, M, M, C], detections [B, D, 6] -> [B, D, M, M], each row's mask of its
    own class (column 4), with a one-hot product instead of a batched gather."""
    one_hot = tf.one_hot(tf.cast(detections[..., 4], tf.int32), masks.shape[-1],
                         dtype=masks.dtype)
    return tf.reduce_sum(masks * one_hot[:, :, None, None, :], axis=-1)


@keras.saving.register_keras_serializable(package="mrcnn_tf")
class PortableSelectClassMask(SelectClassMask):
    """SelectClassMask with select_class_masks."""

    def call(self, inputs):
        return select_class_masks(*inputs)


PORTABLE_VARIANTS = {
    SelectClassMask: PortableSelectClassMask,
    ProposalLayer: PortableProposalLayer,
    PyramidROIAlign: PortablePyramidROIAlign,
    DetectionLayer: PortableDetectionLayer,
    MergeRoiAxis: PortableMergeRoiAxis,
    SplitRoiAxis: PortableSplitRoiAxis,
    TorchvisionProposals: PortableTorchvisionProposals,
    TorchvisionRoIAlign: PortableTorchvisionRoIAlign,
    TorchvisionDetections: PortableTorchvisionDetections,
}


def portable_layer(layer):
    """The portable twin of layer (same config and name), or layer itself when its class has
    none (then the clone shares its weights)."""
    variant = PORTABLE_VARIANTS.get(type(layer))
    return layer if variant is None else variant.from_config(layer.get_config())
