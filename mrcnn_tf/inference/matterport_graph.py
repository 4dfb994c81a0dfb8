"""matterport's transform as graph functions (the export's, families.ModelFamily.serving):
molding as inference/preprocessing.py does it in numpy, detect()'s boxes and mask pasting as
inference/postprocessing.py does them.

Molding: the geometry is ops.resize's one description (``ResizeSpec.layout`` computed with TensorFlow
ops), so the export follows every resize mode in which all images mold to one shape (a batch
is one tensor): "square". The resize is scikit-image's computed in-graph (ops.resize_graph);
values truncate to uint8, the padding is zeros, the mean pixel is subtracted. The image meta
is matterport's (ops.image_meta). Arithmetic is float64 where matterport's numpy code is, so
molded images equal detect()'s.

Outputs (``MatterportGraph.outputs``): shape shorthand B images, D = DETECTION_MAX_INSTANCES
rows of the model, N = max_detections. Boxes leave the graph normalized to the *original*
image in the package's convention (ops.boxes: pixel box (y1, x1, y2, x2), y2/x2 exclusive, is
(y1, x1, y2 - 1, x2 - 1) / (H - 1, W - 1)), computed in float32 exactly as
inference/postprocessing.py does, so that ``denorm_boxes`` gives detect()'s pixel boxes.
Detections whose pixel box has no area are dropped (as detect() drops them) and the rest moved
to the front, in their order.
"""
from __future__ import annotations

import dataclasses

import tensorflow as tf

from mrcnn_tf.config import RESIZE_RULES
from mrcnn_tf.ops.anchors import anchors_for_image_shape
from mrcnn_tf.ops.masks import MASK_THRESHOLD
from mrcnn_tf.ops.resize import ResizeSpec
from mrcnn_tf.ops.resize_graph import resize_bilinear

PIXEL_SHIFT = (0.0, 0.0, 1.0, 1.0)


@dataclasses.dataclass(frozen=True)
class MoldingSpec:
    """What molding needs from the Config: the resize spec, mean pixel, class count."""

    resize: ResizeSpec
    mean_pixel: tuple
    num_classes: int

    @classmethod
    def from_config(cls, config) -> "MoldingSpec":
        resize = ResizeSpec.from_config(config)
        if resize.fixed_shape is None:
            modes = [m for m in RESIZE_RULES if ResizeSpec(m).fixed_shape]
            raise ValueError(f"Config.IMAGE_RESIZE_MODE={config.IMAGE_RESIZE_MODE!r}: export "
                             f"needs {' or '.join(map(repr, modes))} (one molded shape for "
                             f"every image in a batch)")
        return cls(resize=resize, mean_pixel=tuple(float(v) for v in config.MEAN_PIXEL),
                   num_classes=int(config.NUM_CLASSES))

    @property
    def meta_size(self) -> int:
        return 12 + self.num_classes


def mold_image(image, spec: MoldingSpec):
    """Mold one RGB image.

    image: uint8 [h, w, 3]. Returns (molded float32 [H', W', 3] mean-subtracted (IMAGE_MAX_DIM
    square in "square" mode), image meta float32 [12 + num_classes] with image id 0 and no
    active classes).
    """
    shape = tf.shape(image)
    layout = spec.resize.layout(tf.cast(shape[0], tf.float64), tf.cast(shape[1], tf.float64),
                                xp=tf)
    new_h, new_w, padded_h, padded_w, top, left = (
        tf.cast(v, tf.int32) for v in layout[1:])
    checks = [tf.debugging.assert_positive(shape[:2], message="image has zero height or width"),
              tf.debugging.assert_positive(tf.stack([new_h, new_w]),
                                           message="image is too thin: a side resizes to 0")]
    with tf.control_dependencies(checks):
        image = tf.identity(image)
    resized = tf.cond(tf.equal(layout.scale, 1.0), lambda: image,
                      lambda: tf.cast(resize_bilinear(image, new_h, new_w), tf.uint8))
    padded = tf.pad(resized, [[top, padded_h - new_h - top], [left, padded_w - new_w - left],
                              [0, 0]])
    mean = tf.constant(spec.mean_pixel, tf.float64)
    molded = tf.cast(tf.cast(padded, tf.float64) - mean, tf.float32)
    meta = tf.concat([
        tf.zeros([1], tf.float64),                                    # image id
        tf.cast(shape, tf.float64),                                   # original shape
        tf.stack([layout.padded_height, layout.padded_width,
                  tf.constant(3, tf.float64)]),                       # molded shape
        tf.stack(layout.window),                                      # window
        layout.scale[None],
        tf.zeros([spec.num_classes], tf.float64),                     # active class ids
    ], axis=0)
    return molded, tf.cast(meta, tf.float32)


def _original_boxes(boxes, metas):
    """Boxes normalized to the molded image [B, D, 4] -> (normalized to the original image
    float32 [B, D, 4], pixel boxes int32 [B, D, 4] of the original image)."""
    original_hw = tf.cast(metas[:, 1:3], tf.float64)
    molded_hw = tf.cast(metas[:, 4:6], tf.float64)
    window = tf.cast(metas[:, 7:11], tf.float64)
    molded_scale = tf.tile(molded_hw - 1.0, [1, 2])
    wy1, wx1, wy2, wx2 = tf.unstack(tf.cast((window - PIXEL_SHIFT) / molded_scale, tf.float32),
                                    axis=1)
    shift = tf.stack([wy1, wx1, wy1, wx1], axis=1)[:, None, :]
    scale = tf.stack([wy2 - wy1, wx2 - wx1, wy2 - wy1, wx2 - wx1], axis=1)[:, None, :]
    normalized = (boxes - shift) / scale
    original_scale = tf.tile(original_hw - 1.0, [1, 2])[:, None, :]
    pixels = tf.round(tf.cast(normalized, tf.float64) * original_scale + PIXEL_SHIFT)
    return normalized, tf.cast(pixels, tf.int32)


def _class_masks(mrcnn_mask, class_ids):
    """mrcnn_mask [B, D, h, w, C], class_ids int32 [B, D] -> each row's class mask [B, D, h, w]."""
    per_class = tf.transpose(mrcnn_mask, [0, 1, 4, 2, 3])
    return tf.gather(per_class, tf.maximum(class_ids, 0), batch_dims=2)


def serving_outputs(detections, mrcnn_mask, metas, max_detections):
    """The model's outputs -> the serving outputs of a batch.

    detections: float32 [B, D, 6] (y1, x1, y2, x2 normalized to the molded image, class id,
    score), zero padded; mrcnn_mask: float32 [B, D, h, w, C]; metas: float32 [B, META_SIZE].
    Returns (count int32 [B], boxes float32 [B, N, 4] normalized to the original image,
    classes int32 [B, N], scores float32 [B, N], box masks float32 [B, N, h, w], pixel boxes
    float32 [B, N, 4] of whole pixels (what MatterportGraph.paste takes)); rows from count on
    are zero.
    """
    normalized, pixels = _original_boxes(detections[..., :4], metas)
    class_ids = tf.cast(detections[..., 4], tf.int32)
    present = tf.math.cumprod(tf.cast(class_ids > 0, tf.int32), axis=1) > 0  # up to first pad
    area = (pixels[..., 2] - pixels[..., 0]) * (pixels[..., 3] - pixels[..., 1])
    keep = tf.logical_and(present, area > 0)
    order = tf.argsort(tf.cast(tf.logical_not(keep), tf.int32), axis=1, stable=True)
    order = order[:, :max_detections]
    count = tf.minimum(tf.reduce_sum(tf.cast(keep, tf.int32), axis=1), max_detections)
    valid = tf.range(tf.shape(order)[1])[None, :] < count[:, None]

    def take(values):
        values = tf.gather(values, order, batch_dims=1)
        mask = valid[(...,) + (None,) * (values.shape.rank - 2)]
        return tf.where(mask, values, tf.zeros_like(values))

    return (count, take(normalized), take(class_ids), take(detections[..., 5]),
            take(_class_masks(mrcnn_mask, class_ids)), tf.cast(take(pixels), tf.float32))


def paste_mask(mask, box, image_hw, threshold=MASK_THRESHOLD):
    """One box-relative soft mask into a full-image mask, as ops.masks.unmold_mask.

    mask: float32 [h, w]; box: int32 [4] (y1, x1, y2, x2) original pixels, y2/x2 exclusive;
    image_hw: int32 [2]. Returns uint8 [H, W]: 1 where the mask resized to the box is >=
    threshold, else 0.
    """
    y1, x1, y2, x2 = tf.unstack(box)
    height, width = image_hw[0], image_hw[1]

    def paste():
        resized = tf.cast(resize_bilinear(mask[:, :, None], y2 - y1, x2 - x1)[:, :, 0], tf.float32)
        binary = tf.cast(resized >= threshold, tf.uint8)
        top, left = tf.clip_by_value(y1, 0, height), tf.clip_by_value(x1, 0, width)
        bottom, right = tf.clip_by_value(y2, 0, height), tf.clip_by_value(x2, 0, width)
        binary = binary[top - y1:bottom - y1, left - x1:right - x1]
        return tf.pad(binary, [[top, height - bottom], [left, width - right]])

    empty = tf.logical_or(y2 <= y1, x2 <= x1)
    return tf.cond(empty, lambda: tf.zeros(image_hw, tf.uint8), paste)


class MatterportGraph:
    """matterport's transform in the graph (the interface export.saved_model.ServingModule
    takes; see families.ModelFamily.serving). Every image molds to one shape ("square"), so a
    batch runs through the model together."""

    def __init__(self, config):
        self.spec = MoldingSpec.from_config(config)
        self.config = config
        self.fixed_shape = self.spec.resize.fixed_shape
        self.meta_size = self.spec.meta_size

    def mold(self, image):
        """uint8 [h, w, 3] -> (molded float32 [H', W', 3], meta float32 [META])."""
        return mold_image(image, self.spec)

    def anchors(self, molded_hw):
        """Anchors of a molded (height, width): numpy float32 [A, 4] normalized (every image
        has the fixed shape, so the export computes them once)."""
        return anchors_for_image_shape(tuple(molded_hw), self.config)

    def outputs(self, detections, masks, metas, max_detections):
        return serving_outputs(detections, masks, metas, max_detections)

    def paste(self, mask, box, image_hw):
        """mask float32 [h, w], box float32 [4] whole pixels (from outputs), image_hw int32
        [2] -> uint8 [H, W]."""
        return paste_mask(mask, tf.cast(box, tf.int32), image_hw)
