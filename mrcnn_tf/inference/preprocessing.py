"""Preprocessing ("molding") of a batch for the matterport model: each image resized, padded
and mean-subtracted (ops.resize) with its image meta (ops.image_meta).

Images are numpy [H, W, 3] RGB. Windows are pixel boxes (y1, x1, y2, x2), y2/x2 exclusive,
of the resized image inside the padding.
"""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.image_meta import compose_image_meta
from mrcnn_tf.ops.resize import mold_image, resize_image


def mold_inputs(images, config):
    """Mold RGB images [H, W, 3] for the model.

    Returns (molded float32 [B, H', W', 3], image_metas float64 [B, META_SIZE],
    windows int [B, 4] pixel windows). All molded images share one shape in "square" mode;
    in "pad64" and "fit64" modes they may differ and must be batched by shape.
    """
    molded, metas, windows = [], [], []
    for image in images:
        resized, window, scale, _ = resize_image(
            image, min_dim=config.IMAGE_MIN_DIM, max_dim=config.IMAGE_MAX_DIM,
            min_scale=config.IMAGE_MIN_SCALE, mode=config.IMAGE_RESIZE_MODE,
            library=config.RESIZE_LIBRARY)
        molded.append(mold_image(resized, config.MEAN_PIXEL))
        metas.append(compose_image_meta(0, image.shape, resized.shape, window, scale,
                                        np.zeros([config.NUM_CLASSES], dtype=np.int32)))
        windows.append(window)
    return np.stack(molded), np.stack(metas), np.array(windows)
