"""The inputs of either family's training graph (modeling.matterport_training,
modeling.torchvision_training): the molded image, its meta, the anchors and the ground truth.

Shape shorthand: B images, H x W molded image, A anchors, G gt instances, h x w stored gt mask
size (MINI_MASK_SHAPE, or H x W without mini masks).
"""
from __future__ import annotations

import keras


def gt_mask_shape(config, image_shape=None) -> tuple:
    """(h, w) of the gt masks a training model takes: MINI_MASK_SHAPE with mini masks, else
    the molded image's (image_shape, default config.IMAGE_SHAPE)."""
    if config.USE_MINI_MASK:
        return tuple(config.MINI_MASK_SHAPE)
    return tuple(image_shape if image_shape is not None else config.IMAGE_SHAPE)[:2]


def training_inputs(config, image_shape) -> list:
    """The six inputs of either family's training model, for molded images of image_shape
    (H, W, 3): [image float32 [B, H, W, 3], image_meta float32 [B, META], anchors float32
    [B, A, 4], gt_class_ids int32 [B, G] (0 padding, < 0 crowd), gt_boxes float32 [B, G, 4]
    pixels, gt_masks uint8 [B, h, w, G]]."""
    return [keras.Input(shape=tuple(image_shape), name="input_image"),
            keras.Input(shape=(config.IMAGE_META_SIZE,), name="input_image_meta"),
            keras.Input(shape=(None, 4), name="input_anchors"),
            keras.Input(shape=(None,), dtype="int32", name="input_gt_class_ids"),
            keras.Input(shape=(None, 4), name="input_gt_boxes"),
            keras.Input(shape=gt_mask_shape(config, image_shape) + (None,), dtype="uint8",
                        name="input_gt_masks")]
