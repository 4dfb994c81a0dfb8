"""Postprocessing ("unmolding"): model outputs back to matterport's per-image result dict."""
from __future__ import annotations

import numpy as np

from mrcnn_tf.ops.boxes import denorm_boxes, norm_boxes
from mrcnn_tf.ops.masks import paste_masks


def unmold_detections(detections, mrcnn_mask, original_image_shape, image_shape, window,
                      resize_library="skimage") -> dict:
    """One image's model outputs to a result dict.

    detections: float32 [D, 6] (y1, x1, y2, x2, class_id, score), normalized to the molded
    image, zero padded. mrcnn_mask: float32 [D, h, w, C], or None for a result without
    masks. original_image_shape: (H, W, ...);
    image_shape: molded (H', W', ...); window: pixel window (y1, x1, y2, x2) of the image
    inside the padding. resize_library: who resizes the masks (ops.masks.paste_masks).
    Returns {"rois": int32 [N, 4] (y1, x1, y2, x2) pixels of the original image,
    "class_ids": int32 [N], "scores": float32 [N], "masks": bool [H, W, N]}; detections whose
    box has no area in the original image are dropped.
    """
    zero_ix = np.where(detections[:, 4] == 0)[0]
    count = zero_ix[0] if zero_ix.shape[0] > 0 else detections.shape[0]
    boxes = detections[:count, :4]
    class_ids = detections[:count, 4].astype(np.int32)
    scores = detections[:count, 5].astype(np.float32)
    masks = None if mrcnn_mask is None else mrcnn_mask[np.arange(count), :, :, class_ids]

    wy1, wx1, wy2, wx2 = norm_boxes(np.asarray(window), image_shape[:2])
    shift = np.array([wy1, wx1, wy1, wx1])
    scale = np.array([wy2 - wy1, wx2 - wx1, wy2 - wy1, wx2 - wx1])
    boxes = denorm_boxes(np.divide(boxes - shift, scale), original_image_shape[:2])

    keep = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) > 0
    result = {"rois": boxes[keep], "class_ids": class_ids[keep], "scores": scores[keep]}
    if masks is not None:
        result["masks"] = paste_masks(masks[keep], boxes[keep], original_image_shape,
                                      library=resize_library)
    return result
