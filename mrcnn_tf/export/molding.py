"""In-graph preprocessing ("molding") for serving: what inference/preprocessing.py does in numpy.

"square" resize mode only (every molded image is ``max_dim x max_dim``, so one batch holds images
of any original size): scale = max(1, min_dim / min(h, w)) (at least ``min_scale``), lowered so
that round(max(h, w) * scale) <= max_dim; resize to (round(h * scale), round(w * scale)) exactly
as scikit-image does (see export.resize); truncate to uint8; zero-pad centred to
``max_dim x max_dim``; subtract the mean pixel. The image meta is matterport's (ops.image_meta).
Arithmetic is float64 where matterport's numpy code is, so molded images equal detect()'s.
"""
from __future__ import annotations

import dataclasses

import tensorflow as tf

from mrcnn_tf.export.resize import resize_bilinear


@dataclasses.dataclass(frozen=True)
class MoldingSpec:
    """What molding needs from the Config: sizes, scale floor, mean pixel, class count."""

    min_dim: int
    max_dim: int
    min_scale: float
    mean_pixel: tuple
    num_classes: int

    @classmethod
    def from_config(cls, config) -> "MoldingSpec":
        if config.IMAGE_RESIZE_MODE != "square":
            raise ValueError(f"Config.IMAGE_RESIZE_MODE={config.IMAGE_RESIZE_MODE!r}: export "
                             f"needs 'square' (one molded shape for every image in a batch)")
        return cls(min_dim=int(config.IMAGE_MIN_DIM or 0), max_dim=int(config.IMAGE_MAX_DIM),
                   min_scale=float(config.IMAGE_MIN_SCALE or 0),
                   mean_pixel=tuple(float(v) for v in config.MEAN_PIXEL),
                   num_classes=int(config.NUM_CLASSES))

    @property
    def meta_size(self) -> int:
        return 12 + self.num_classes


def resize_scale(height, width, spec: MoldingSpec):
    """matterport's square-mode scale for images of this size (int32 scalars) as float64."""
    h, w = tf.cast(height, tf.float64), tf.cast(width, tf.float64)
    scale = tf.constant(1.0, tf.float64)
    if spec.min_dim:
        scale = tf.maximum(scale, spec.min_dim / tf.minimum(h, w))
    if spec.min_scale:
        scale = tf.maximum(scale, spec.min_scale)
    long_side = tf.maximum(h, w)
    return tf.where(tf.round(long_side * scale) > spec.max_dim, spec.max_dim / long_side, scale)


def mold_image(image, spec: MoldingSpec):
    """Mold one RGB image.

    image: uint8 [h, w, 3]. Returns (molded float32 [max_dim, max_dim, 3] mean-subtracted,
    image meta float32 [12 + num_classes] with image id 0 and no active classes).
    """
    shape = tf.shape(image)
    scale = resize_scale(shape[0], shape[1], spec)
    new_h = tf.cast(tf.round(tf.cast(shape[0], tf.float64) * scale), tf.int32)
    new_w = tf.cast(tf.round(tf.cast(shape[1], tf.float64) * scale), tf.int32)
    checks = [tf.debugging.assert_positive(shape[:2], message="image has zero height or width"),
              tf.debugging.assert_positive(tf.stack([new_h, new_w]),
                                           message="image is too thin: a side resizes to 0")]
    with tf.control_dependencies(checks):
        image = tf.identity(image)
    resized = tf.cond(tf.equal(scale, 1.0), lambda: image,
                      lambda: tf.cast(resize_bilinear(image, new_h, new_w), tf.uint8))
    top, left = (spec.max_dim - new_h) // 2, (spec.max_dim - new_w) // 2
    padded = tf.pad(resized, [[top, spec.max_dim - new_h - top],
                              [left, spec.max_dim - new_w - left], [0, 0]])
    mean = tf.constant(spec.mean_pixel, tf.float64)
    molded = tf.cast(tf.cast(padded, tf.float64) - mean, tf.float32)
    meta = tf.concat([
        tf.zeros([1], tf.float64),                                    # image id
        tf.cast(shape, tf.float64),                                   # original shape
        tf.constant([spec.max_dim, spec.max_dim, 3], tf.float64),     # molded shape
        tf.cast(tf.stack([top, left, top + new_h, left + new_w]), tf.float64),  # window
        scale[None],
        tf.zeros([spec.num_classes], tf.float64),                     # active class ids
    ], axis=0)
    return molded, tf.cast(meta, tf.float32)


def _mold_batch(fn, elems, spec: MoldingSpec):
    # The molded height and width are max_dim, but they stay unknown to the graph, as they
    # are in detect()'s: with them known, graph optimization changes the model's float
    # rounding (by ~1e-6), enough to flip a rounded pixel of a thin box.
    return tf.map_fn(fn, elems, fn_output_signature=(
        tf.TensorSpec([None, None, 3], tf.float32),
        tf.TensorSpec([spec.meta_size], tf.float32)))


def mold_encoded_images(image_bytes, spec: MoldingSpec):
    """Decode and mold a batch of encoded images (JPEG, PNG, GIF or BMP; sizes may differ).

    image_bytes: string [B]. Grayscale is expanded to RGB and alpha dropped.
    Returns (molded float32 [B, max_dim, max_dim, 3], metas float32 [B, META_SIZE]).
    """
    def decode_and_mold(data):
        image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
        return mold_image(image, spec)
    return _mold_batch(decode_and_mold, image_bytes, spec)


def mold_image_batch(images, spec: MoldingSpec):
    """Mold a batch of RGB images uint8 [B, H, W, 3]; returns as mold_encoded_images."""
    return _mold_batch(lambda image: mold_image(image, spec), images, spec)
