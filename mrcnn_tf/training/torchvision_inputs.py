"""One training sample for the torchvision family, and the training anchors (numpy).

As torchvision trains: augmentation on the original image, then GeneralizedRCNNTransform's
resize (short side IMAGE_MIN_DIM, long side at most IMAGE_MAX_DIM, PyTorch's bilinear rule,
ops.torchvision_resize) and normalization ((pixel - MEAN_PIXEL) / PIXEL_STD). Batches need
one shape, so every image is zero padded at the bottom and right to the S x S square of
modeling.torchvision_training.training_image_shape (IMAGE_MAX_DIM rounded up to 32); the
window (0, 0, h, w) in the image meta is the resized size, which proposals are clipped to.
Boxes are (y1, x1, y2, x2) pixels of the padded image, y2/x2 exclusive.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.modeling.torchvision_training import training_image_shape
from mrcnn_tf.ops.image_meta import compose_image_meta
from mrcnn_tf.ops.torchvision_anchors import anchors_for_padded_shape
from mrcnn_tf.ops.torchvision_resize import resize_bilinear, resized_shape
from mrcnn_tf.training.image_gt import final_instances, load_instances, resize_masks_nearest


def training_anchors(config) -> np.ndarray:
    """float32 [A, 4] (y1, x1, y2, x2) pixel anchors of the S x S training image."""
    side = training_image_shape(config)[0]
    return anchors_for_padded_shape(side, side, tuple(int(s) for s in config.RPN_ANCHOR_SCALES),
                                    tuple(float(r) for r in config.RPN_ANCHOR_RATIOS))


def normalize(image, config) -> np.ndarray:
    """RGB 0-255 [H, W, 3] -> float32 (pixel - MEAN_PIXEL) / PIXEL_STD."""
    mean = np.asarray(config.MEAN_PIXEL, np.float32)
    std = np.asarray(config.PIXEL_STD, np.float32)
    return (np.asarray(image, np.float32) - mean) / std


def load_image_gt_torchvision(dataset, config, image_id, *, augmentation=None,
                              rng=None) -> dict:
    """One sample, unpadded instances: {"image" float32 [S, S, 3] normalized, "image_meta"
    float32 [META_SIZE], "class_ids" int32 [N] (< 0 crowd), "boxes" int32 [N, 4] pixels,
    "masks" bool [h, w, N] (mini masks when config.USE_MINI_MASK, else S x S)}."""
    rng = rng if rng is not None else np.random.default_rng()
    image, masks, class_ids = load_instances(dataset, image_id)
    if augmentation is not None:
        image, masks = augmentation(image, masks, rng)
    original_shape = image.shape
    height, width, scale = resized_shape(image.shape[0], image.shape[1],
                                         min_size=config.IMAGE_MIN_DIM,
                                         max_size=config.IMAGE_MAX_DIM)
    shape = training_image_shape(config)
    molded = np.zeros(shape, np.float32)
    molded[:height, :width] = resize_bilinear(normalize(image, config), height, width)
    full = np.zeros(shape[:2] + (masks.shape[-1],), dtype=bool)
    full[:height, :width] = resize_masks_nearest(masks, (height, width))
    class_ids, boxes, full, active = final_instances(dataset, config, image_id, full,
                                                     class_ids)
    meta = compose_image_meta(image_id, original_shape, shape, (0, 0, height, width), scale,
                              active)
    return {"image": molded, "image_meta": meta.astype(np.float32), "class_ids": class_ids,
            "boxes": boxes, "masks": full}
