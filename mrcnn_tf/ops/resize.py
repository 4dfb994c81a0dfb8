"""Resizing, padding and mean subtraction of numpy images as matterport does them: the one
description of "molding" that inference (inference.preprocessing), training inputs
(training.image_gt) and the modes checked by the export share.

Images are numpy [H, W, C]. Windows are pixel boxes (y1, x1, y2, x2), y2/x2 exclusive, of the
resized image inside the padding. Resize modes: see Config.IMAGE_RESIZE_MODE.
"""
from __future__ import annotations

import cv2
import numpy as np
from skimage.transform import resize as _skimage_resize  # imported now, not on the first call


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


def resize_scale(height, width, *, min_dim, max_dim, min_scale, mode) -> float:
    """The scale factor matterport's resize_image applies to an image of this size."""
    if mode == "none":
        return 1.0
    scale = max(1, min_dim / min(height, width)) if min_dim else 1
    if min_scale and scale < min_scale:
        scale = min_scale
    if max_dim and mode in ("square", "fit64") and round(max(height, width) * scale) > max_dim:
        scale = max_dim / max(height, width)
    return scale


def _centered_padding(size, target):
    before = (target - size) // 2
    return before, target - size - before


def resize_image(image, *, min_dim, max_dim, min_scale=0, mode="square", library="skimage"):
    """Resize and pad an image, keeping its aspect ratio (matterport's utils.resize_image).

    image: [H, W, C] any dtype. mode: "square" (pad to max_dim x max_dim), "pad64" (pad each
    side up to a multiple of 64), "fit64" (scale as square, pad each side to a multiple of
    64) or "none". library: "skimage" (matterport's resize) or "opencv" (resize_opencv, the
    same values but for float rounding). The result keeps the input dtype (resized values
    are truncated, as matterport's astype).
    Returns (image [h, w, C], window (y1, x1, y2, x2), scale, padding [(top, bottom),
    (left, right), (0, 0)]).
    """
    dtype = image.dtype
    h, w = image.shape[:2]
    padding = [(0, 0), (0, 0), (0, 0)]
    if mode == "none":
        return image, (0, 0, h, w), 1, padding
    scale = resize_scale(h, w, min_dim=min_dim, max_dim=max_dim, min_scale=min_scale, mode=mode)
    if scale != 1:
        image = resize(image, (round(h * scale), round(w * scale)), preserve_range=True,
                       library=library)  # float, cast below
    h, w = image.shape[:2]
    if mode == "square":
        padding = [_centered_padding(h, max_dim), _centered_padding(w, max_dim), (0, 0)]
    elif mode in ("pad64", "fit64"):
        padding = [_centered_padding(h, -(-h // 64) * 64), _centered_padding(w, -(-w // 64) * 64),
                   (0, 0)]
    else:
        raise ValueError(f"resize mode {mode!r} is not supported at inference")
    image = np.pad(image, padding, mode="constant", constant_values=0)
    window = (padding[0][0], padding[1][0], h + padding[0][0], w + padding[1][0])
    return image.astype(dtype), window, scale, padding


def mold_image(image, mean_pixel) -> np.ndarray:
    """Subtract the mean pixel: float32 [H, W, C] (computed in float64, as matterport)."""
    return (image.astype(np.float32) - np.asarray(mean_pixel, dtype=np.float64)).astype(np.float32)
