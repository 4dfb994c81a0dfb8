"""One training sample from a Dataset: the molded image and its ground truth (numpy).

matterport's load_image_gt: load image and masks, resize and pad (or crop) as the config says,
augment, drop instances left without pixels, take boxes from the masks, shrink masks to mini
masks, and pad to MAX_GT_INSTANCES. Boxes are (y1, x1, y2, x2) pixels of the molded image,
y2/x2 exclusive.
"""
from __future__ import annotations

import cv2
import numpy as np

from mrcnn_tf.config import RESIZE_RULES
from mrcnn_tf.ops.resize import ResizeSpec, mold_image, resize, resize_image
from mrcnn_tf.ops.boxes import extract_bboxes
from mrcnn_tf.ops.image_meta import compose_image_meta

# the modes that give every image the same shape
TRAINING_RESIZE_MODES = tuple(mode for mode, rule in RESIZE_RULES.items()
                              if rule.pad in ("square", "crop"))


def resize_masks_nearest(masks, shape) -> np.ndarray:
    """Nearest-neighbour resize of bool masks [H, W, N] to (h, w): bool [h, w, N]."""
    h, w = masks.shape[:2]
    rows = np.minimum(((np.arange(shape[0]) + 0.5) * h / shape[0]).astype(int), h - 1)
    cols = np.minimum(((np.arange(shape[1]) + 0.5) * w / shape[1]).astype(int), w - 1)
    return masks[rows][:, cols]


def minimize_masks(boxes, masks, mini_shape) -> np.ndarray:
    """Each mask cropped to its box and resized (bilinear, >= 0.5) to mini_shape:
    bool [h, w, N]. matterport's minimize_mask; the box maps the mini mask back."""
    mini = np.zeros(tuple(mini_shape) + (masks.shape[-1],), dtype=bool)
    for i, (y1, x1, y2, x2) in enumerate(boxes):
        crop = masks[y1:y2, x1:x2, i].astype(np.float32)
        if crop.size:
            mini[:, :, i] = cv2.resize(crop, (mini_shape[1], mini_shape[0]),
                                       interpolation=cv2.INTER_LINEAR) >= 0.5
    return mini


def _resize_crop(image, masks, config, rng):
    """"crop" mode: scale up so the short side reaches IMAGE_MIN_DIM, then a random
    IMAGE_MIN_DIM square crop."""
    h, w = image.shape[:2]
    scale = float(ResizeSpec.from_config(config).scale(np.float64(h), np.float64(w)))
    size = (round(h * scale), round(w * scale))
    if scale != 1:
        image = resize(image, size, preserve_range=True).astype(image.dtype)
        masks = resize_masks_nearest(masks, size)
    side = config.IMAGE_MIN_DIM
    y = int(rng.integers(0, image.shape[0] - side + 1))
    x = int(rng.integers(0, image.shape[1] - side + 1))
    return (image[y:y + side, x:x + side], masks[y:y + side, x:x + side], (0, 0, side, side),
            scale)


def resize_sample(image, masks, config, rng):
    """Resize/pad (square) or crop (crop) an image and its masks [H, W, N] together.
    Returns (image, masks, window (y1, x1, y2, x2), scale)."""
    if config.IMAGE_RESIZE_MODE == "crop":
        return _resize_crop(image, masks, config, rng)
    if config.IMAGE_RESIZE_MODE not in TRAINING_RESIZE_MODES:
        raise ValueError(f"Config.IMAGE_RESIZE_MODE={config.IMAGE_RESIZE_MODE!r}: training needs "
                         f"images of one size, use one of {', '.join(TRAINING_RESIZE_MODES)}")
    resized, window, scale, padding = resize_image(
        image, min_dim=config.IMAGE_MIN_DIM, max_dim=config.IMAGE_MAX_DIM,
        min_scale=config.IMAGE_MIN_SCALE, mode=config.IMAGE_RESIZE_MODE,
        library=config.RESIZE_LIBRARY)
    y1, x1, y2, x2 = window
    masks = np.pad(resize_masks_nearest(masks, (y2 - y1, x2 - x1)), padding[:2] + [(0, 0)])
    return resized, masks, window, scale


def _check_sample(image_id, image, masks, class_ids):
    if masks.ndim != 3 or (masks.shape[-1] and masks.shape[:2] != image.shape[:2]):
        raise ValueError(f"image {image_id}: load_mask returned masks of shape {masks.shape}; "
                         f"expected [H, W, N] with H, W = {image.shape[:2]}")
    if len(class_ids) != masks.shape[-1]:
        raise ValueError(f"image {image_id}: load_mask returned {masks.shape[-1]} masks but "
                         f"{len(class_ids)} class ids")


def load_instances(dataset, image_id) -> tuple:
    """(image [H, W, 3], masks bool [H, W, N], class_ids int32 [N]) of one dataset image,
    checked (ValueError naming the image)."""
    image = dataset.load_image(image_id)
    masks, class_ids = dataset.load_mask(image_id)
    masks = np.asarray(masks, dtype=bool)
    class_ids = np.asarray(class_ids, dtype=np.int32)
    if masks.shape[-1] == 0:
        masks = np.zeros(image.shape[:2] + (0,), dtype=bool)
    _check_sample(image_id, image, masks, class_ids)
    return image, masks, class_ids


def final_instances(dataset, config, image_id, masks, class_ids) -> tuple:
    """The instances of a resized sample: (class_ids int32 [N], boxes int32 [N, 4] pixels,
    masks bool [h, w, N] (mini masks when config.USE_MINI_MASK), active class ids int32
    [NUM_CLASSES] of the image's source); instances left with no pixel are dropped."""
    keep = masks.sum(axis=(0, 1)) > 0
    masks, class_ids = masks[..., keep], class_ids[keep]
    boxes = extract_bboxes(masks)
    if config.USE_MINI_MASK:
        masks = minimize_masks(boxes, masks, config.MINI_MASK_SHAPE)
    active = np.zeros([config.NUM_CLASSES], dtype=np.int32)
    active[dataset.source_class_ids[dataset.image_info[image_id]["source"]]] = 1
    return class_ids, boxes, masks, active


def load_image_gt(dataset, config, image_id, *, augmentation=None, rng=None) -> dict:
    """One sample, unpadded: {"image" float32 [H, W, 3] mean-subtracted, "image_meta" float32
    [META_SIZE], "class_ids" int32 [N] (< 0 crowd), "boxes" int32 [N, 4] pixels, "masks" bool
    [h, w, N] (mini masks when config.USE_MINI_MASK)}."""
    rng = rng if rng is not None else np.random.default_rng()
    image, masks, class_ids = load_instances(dataset, image_id)
    original_shape = image.shape
    image, masks, window, scale = resize_sample(image, masks, config, rng)
    if augmentation is not None:
        image, masks = augmentation(image, masks, rng)
    class_ids, boxes, masks, active = final_instances(dataset, config, image_id, masks,
                                                      class_ids)
    meta = compose_image_meta(image_id, original_shape, image.shape, window, scale, active)
    return {"image": mold_image(image, config.MEAN_PIXEL), "image_meta": meta.astype(np.float32),
            "class_ids": class_ids, "boxes": boxes, "masks": masks}


def pad_instances(sample, max_instances, rng) -> dict:
    """Keep at most max_instances instances (chosen at random, as matterport) and zero-pad
    class_ids [G], boxes float32 [G, 4] and masks [h, w, G] to G = max_instances."""
    count = len(sample["class_ids"])
    keep = np.arange(count)
    if count > max_instances:
        keep = np.sort(rng.choice(count, max_instances, replace=False))
    pad = max_instances - len(keep)
    return {**sample,
            "class_ids": np.pad(sample["class_ids"][keep], [(0, pad)]).astype(np.int32),
            "boxes": np.pad(sample["boxes"][keep], [(0, pad), (0, 0)]).astype(np.float32),
            "masks": np.pad(sample["masks"][..., keep], [(0, 0), (0, 0), (0, pad)])}
