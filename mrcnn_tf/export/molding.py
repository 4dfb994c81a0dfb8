"""In-graph preprocessing ("molding") for serving: what inference/preprocessing.py does in numpy.

The geometry is ops.resize's one description (``ResizeSpec.layout`` computed with TensorFlow
ops), so the export follows every resize mode in which all images mold to one shape (a batch
is one tensor): "square". The resize is scikit-image's computed in-graph (ops.resize_graph);
values truncate to uint8, the padding is zeros, the mean pixel is subtracted. The image meta
is matterport's (ops.image_meta). Arithmetic is float64 where matterport's numpy code is, so
molded images equal detect()'s.
"""
from __future__ import annotations

import dataclasses

import tensorflow as tf

from mrcnn_tf.config import RESIZE_RULES
from mrcnn_tf.ops.resize import ResizeSpec
from mrcnn_tf.ops.resize_graph import resize_bilinear


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


def _mold_batch(fn, elems, spec: MoldingSpec):
    # The molded height and width are the same for every image, but they stay unknown to the
    # graph, as they are in detect()'s: with them known, graph optimization changes the model's float
    # rounding (by ~1e-6), enough to flip a rounded pixel of a thin box.
    return tf.map_fn(fn, elems, fn_output_signature=(
        tf.TensorSpec([None, None, 3], tf.float32),
        tf.TensorSpec([spec.meta_size], tf.float32)))


def mold_encoded_images(image_bytes, spec: MoldingSpec):
    """Decode and mold a batch of encoded images (JPEG, PNG, GIF or BMP; sizes may differ).

    image_bytes: string [B]. Grayscale is expanded to RGB and alpha dropped.
    Returns (molded float32 [B, H', W', 3], metas float32 [B, META_SIZE]).
    """
    def decode_and_mold(data):
        image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
        return mold_image(image, spec)
    return _mold_batch(decode_and_mold, image_bytes, spec)


def mold_image_batch(images, spec: MoldingSpec):
    """Mold a batch of RGB images uint8 [B, H, W, 3]; returns as mold_encoded_images."""
    return _mold_batch(lambda image: mold_image(image, spec), images, spec)
