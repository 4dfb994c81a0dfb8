"""Input checking and normalization for detect(): any sane image to RGB with a 0-255 range."""
from __future__ import annotations

import numpy as np


def as_image_list(images) -> list:
    """A list of images from a list/tuple, a 4-D batch array, or one 2-D/3-D image array."""
    if isinstance(images, np.ndarray):
        if images.ndim == 4:
            return list(images)
        if images.ndim in (2, 3):
            return [images]
        raise ValueError(f"images: expected a list of images or an array [N, H, W, C], "
                         f"got an array of shape {images.shape}")
    if isinstance(images, (list, tuple)):
        return list(images)
    raise ValueError(f"images: expected a list of numpy images, got {type(images).__name__}")


def normalize_image(image, index: int, channels: int = 3) -> np.ndarray:
    """Check one image and bring it to RGB [H, W, 3] (or [H, W, channels] for other models).

    uint8 is kept as is; uint16 is scaled to 0-255 (float32); other integers must lie in
    0-255; floats are taken as 0-255, or as 0-1 when their maximum is <= 1 (then scaled by
    255); bool is 0/255. Grayscale [H, W] or [H, W, 1] is stacked to three channels; RGBA loses
    its alpha. A model with ``channels`` other than 3 takes images of exactly that many channels
    ([H, W] when it is 1). Raises ValueError naming ``image[index]`` and the problem otherwise.
    """
    def fail(problem):
        raise ValueError(f"image[{index}]: {problem}")

    if image is None:
        fail("is None")
    try:
        image = np.asarray(image)
    except Exception as err:  # ragged nested lists and the like
        fail(f"cannot be read as an array ({err})")
    if image.dtype == object or not (np.issubdtype(image.dtype, np.number)
                                     or image.dtype == bool):
        fail(f"has dtype {image.dtype}; expected a numeric array")
    if channels != 3:
        if image.ndim == 2 and channels == 1:
            image = image[:, :, np.newaxis]
        if image.ndim != 3 or image.shape[2] != channels:
            fail(f"has shape {image.shape}; the model expects IMAGE_CHANNEL_COUNT={channels} "
                 "channels")
    else:
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[:, :, 0]
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            fail(f"has shape {image.shape}; expected [H, W], [H, W, 1], [H, W, 3] or [H, W, 4]")
        image = image[:, :, :3]
    if image.shape[0] == 0 or image.shape[1] == 0:
        fail(f"is empty (shape {image.shape})")
    if image.dtype == np.uint8:
        return image
    if image.dtype == bool:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return image.astype(np.float32) * (255.0 / 65535.0)
    if np.issubdtype(image.dtype, np.integer):
        if image.min() < 0 or image.max() > 255:
            fail(f"has {image.dtype} values in [{image.min()}, {image.max()}]; expected 0-255")
        return image.astype(np.uint8)
    image = image.astype(np.float32)
    if not np.isfinite(image).all():
        fail("contains NaN or infinite values")
    low, high = float(image.min()), float(image.max())
    if low < 0 or high > 255:
        fail(f"has float values in [{low:g}, {high:g}]; expected 0-255 (or 0-1)")
    return image * 255.0 if high <= 1.0 else image
