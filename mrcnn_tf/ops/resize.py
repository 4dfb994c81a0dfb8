"""Resizing, padding and mean subtraction of images as matterport does them: the one
description of "molding" shared by inference (inference.preprocessing), training inputs
(training.image_gt), Beam's batching by shape and the export's in-graph molding
(inference.matterport_graph, with ops.resize_graph).

``config.RESIZE_RULES`` says what each IMAGE_RESIZE_MODE does and ``ResizeSpec.layout`` computes
the scale, the resized size and the padding of an image of any size, with numpy or with
TensorFlow ops (``xp=np`` or ``xp=tf``): adding a mode is a row of that table. Images are numpy
[H, W, C]. Windows are pixel boxes (y1, x1, y2, x2), y2/x2 exclusive, of the resized image
inside the padding.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import cv2
import numpy as np
from skimage.transform import resize as _skimage_resize  # imported now, not on the first call

from mrcnn_tf.config import RESIZE_RULES, ResizeRule


class ResizeLayout(NamedTuple):
    """Where an image goes when molded, as float64 numbers (numpy) or tensors (TensorFlow):
    ``scale``; ``height``, ``width`` of the resized image; ``padded_height``,
    ``padded_width`` of the molded image; ``top``, ``left`` padding before the image."""

    scale: object
    height: object
    width: object
    padded_height: object
    padded_width: object
    top: object
    left: object

    @property
    def window(self):
        """(y1, x1, y2, x2) of the resized image inside the padding."""
        return (self.top, self.left, self.top + self.height, self.left + self.width)


@dataclasses.dataclass(frozen=True)
class ResizeSpec:
    """A resize mode and its sizes (Config's IMAGE_RESIZE_MODE, IMAGE_MIN_DIM, IMAGE_MAX_DIM,
    IMAGE_MIN_SCALE)."""

    mode: str
    min_dim: int = 0
    max_dim: int = 0
    min_scale: float = 0

    def __post_init__(self):
        if self.mode not in RESIZE_RULES:
            raise ValueError(f"resize mode {self.mode!r}: must be one of "
                             f"{', '.join(RESIZE_RULES)}")

    @classmethod
    def from_config(cls, config) -> "ResizeSpec":
        return cls(mode=config.IMAGE_RESIZE_MODE, min_dim=int(config.IMAGE_MIN_DIM or 0),
                   max_dim=int(config.IMAGE_MAX_DIM or 0),
                   min_scale=float(config.IMAGE_MIN_SCALE or 0))

    @property
    def rule(self) -> ResizeRule:
        return RESIZE_RULES[self.mode]

    @property
    def fixed_shape(self):
        """(height, width) every image molds to at inference, or None when it depends on the
        image (then only images of one molded shape batch together)."""
        return (self.max_dim, self.max_dim) if self.rule.pad == "square" else None

    def scale(self, height, width, xp=np):
        """matterport's scale factor for an image of height x width (float64 numbers of xp)."""
        scale = xp.ones_like(height)
        if self.rule.scale_up and self.min_dim:
            scale = xp.maximum(scale, self.min_dim / xp.minimum(height, width))
        if self.rule.scale_up and self.min_scale:
            scale = xp.maximum(scale, self.min_scale)
        if self.rule.cap and self.max_dim:
            long_side = xp.maximum(height, width)
            scale = xp.where(xp.round(long_side * scale) > self.max_dim,
                             self.max_dim / long_side, scale)
        return scale

    def layout(self, height, width, xp=np) -> ResizeLayout:
        """The scale, resized size and padding of an image of height x width.

        height, width: float64 numbers (numpy, xp=np) or float64 scalar tensors (xp=tf).
        Returns a ResizeLayout of float64 values of the same kind (callers cast to int).
        """
        if self.rule.pad == "crop":
            raise ValueError("resize mode 'crop' is for training (a random crop), not molding")
        scale = self.scale(height, width, xp)
        h, w = xp.round(height * scale), xp.round(width * scale)
        if self.rule.pad == "square":
            padded_h = padded_w = xp.ones_like(h) * self.max_dim
        elif self.rule.pad == "multiple64":
            padded_h, padded_w = -(-h // 64) * 64, -(-w // 64) * 64
        else:
            padded_h, padded_w = h, w
        return ResizeLayout(scale, h, w, padded_h, padded_w, (padded_h - h) // 2,
                            (padded_w - w) // 2)


def resize(image, output_shape, order=1, preserve_range=False, library="skimage"):
    """skimage resize with matterport's settings: bilinear, constant border, no anti-aliasing.

    library="opencv": the same computed by resize_opencv (bilinear only; values keep the
    input's range, as with preserve_range=True)."""
    if library == "opencv":
        if order != 1:
            raise ValueError(f"resize: library 'opencv' is bilinear only (order 1, not {order})")
        return resize_opencv(image, output_shape)
    return _skimage_resize(image, output_shape, order=order, mode="constant", cval=0,
                                    clip=True, preserve_range=preserve_range,
                                    anti_aliasing=False)


def resize_opencv(image, output_shape) -> np.ndarray:
    """``resize`` computed by OpenCV: the same bilinear sampling (output pixel o reads input
    coordinate (o + 0.5) * in / out - 0.5), zeros outside the image and the result clipped to
    the input's range, as scikit-image does, but by ``cv2.warpAffine`` in float32: about 40x
    faster, equal to scikit-image's float64 values within ~1e-5 of the value range.

    image: [H, W] or [H, W, C] (any channel count, any real dtype); output_shape: (h, w).
    Returns float32 [h, w] or [h, w, C] (callers cast, as with ``resize``).
    """
    h, w = (int(v) for v in output_shape[:2])
    source = np.asarray(image, dtype=np.float32)
    sy, sx = source.shape[0] / h, source.shape[1] / w
    inverse_map = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5]])
    flat = source.reshape(source.shape[0], source.shape[1], -1)
    # one call for 1, 3 or 4 channels; others a channel at a time (warpAffine takes at most
    # 4, and its 2-channel path rounds the sampling positions to 1/32 pixel)
    step = flat.shape[-1] if flat.shape[-1] in (1, 3, 4) else 1
    parts = [cv2.warpAffine(flat[..., c:c + step], inverse_map, (w, h),
                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
             for c in range(0, flat.shape[-1], step)]
    out = np.concatenate([p.reshape(h, w, -1) for p in parts], axis=-1)
    out = out.reshape((h, w) + source.shape[2:])
    return np.clip(out, source.min(), source.max()) if source.size else out


def resize_image(image, *, min_dim, max_dim, min_scale=0, mode="square", library="skimage"):
    """Resize and pad an image, keeping its aspect ratio (matterport's utils.resize_image).

    image: [H, W, C] any dtype. mode: a RESIZE_RULES mode but "crop" ("square": pad to
    max_dim x max_dim; "pad64": pad each side up to a multiple of 64; "fit64": scale as
    square, pad each side to a multiple of 64; "none"). library: "skimage" (matterport's
    resize) or "opencv" (resize_opencv, the same values but for float rounding). The result
    keeps the input dtype (resized values are truncated, as matterport's astype).
    Returns (image [h, w, C], window (y1, x1, y2, x2), scale, padding [(top, bottom),
    (left, right), (0, 0)]).
    """
    spec = ResizeSpec(mode=mode, min_dim=min_dim or 0, max_dim=max_dim or 0,
                      min_scale=min_scale or 0)
    if spec.rule.pad == "crop":
        raise ValueError(f"resize mode {mode!r} is not supported at inference")
    dtype = image.dtype
    layout = spec.layout(np.float64(image.shape[0]), np.float64(image.shape[1]))
    scale = float(layout.scale)
    if scale != 1:
        image = resize(image, (int(layout.height), int(layout.width)), preserve_range=True,
                       library=library)  # float, cast below
    top, left = int(layout.top), int(layout.left)
    padding = [(top, int(layout.padded_height - layout.height) - top),
               (left, int(layout.padded_width - layout.width) - left), (0, 0)]
    image = np.pad(image, padding, mode="constant", constant_values=0)
    window = tuple(int(v) for v in layout.window)
    return image.astype(dtype), window, scale, padding


def mold_image(image, mean_pixel) -> np.ndarray:
    """Subtract the mean pixel: float32 [H, W, C] (computed in float64, as matterport)."""
    return (image.astype(np.float32) - np.asarray(mean_pixel, dtype=np.float64)).astype(np.float32)
