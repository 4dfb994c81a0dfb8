"""Serving outputs back to detect()'s result dicts (the client side of export.saved_model).

Accepts what each way of calling the SavedModel returns:

- ``tf.saved_model.load(...).signatures[...](...)``: a dict of tensors;
- TF Serving REST, row format: ``{"predictions": [{name: value, ...}, ...]}`` (or the list);
- TF Serving REST, column format: ``{"outputs": {name: value, ...}}``;
- TF Serving gRPC: ``PredictResponse.outputs`` (a map of ``TensorProto``).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mrcnn_tf.export.names import BOXES, CLASSES, MASKS, NUM_DETECTIONS, SCORES
from mrcnn_tf.families import family_named
from mrcnn_tf.ops.masks import MASK_THRESHOLD

REQUIRED = (NUM_DETECTIONS, BOXES, CLASSES, SCORES, MASKS)
MASK_FORMATS = ("auto", "box", "image")


def _to_array(value):
    if hasattr(value, "tensor_shape") and hasattr(value, "dtype"):  # a TensorProto (gRPC)
        import tensorflow as tf
        return tf.make_ndarray(value)
    return np.asarray(value)


def _columns(outputs) -> dict:
    """Any accepted form of outputs -> {name: numpy array with the batch axis first}."""
    if isinstance(outputs, Mapping) and "predictions" in outputs:
        outputs = outputs["predictions"]
    elif isinstance(outputs, Mapping) and "outputs" in outputs:
        outputs = outputs["outputs"]
    if isinstance(outputs, (list, tuple)):  # REST row format: one dict per image
        if not all(isinstance(row, Mapping) for row in outputs):
            raise ValueError("outputs: expected a dict of outputs or a list of one dict per "
                             "image (TF Serving's 'predictions')")
        names = set().union(*(row.keys() for row in outputs)) if outputs else set(REQUIRED)
        return {name: [np.asarray(row[name]) for row in outputs] for name in names
                if all(name in row for row in outputs)}
    if not isinstance(outputs, Mapping):
        raise ValueError(f"outputs: expected a dict of outputs, got {type(outputs).__name__}")
    return {name: _to_array(value) for name, value in outputs.items()}


def _mask_format(masks, image_hw, requested):
    if requested != "auto":
        return requested
    masks = np.asarray(masks)
    if masks.dtype.kind in "biu" or tuple(masks.shape[-2:]) == tuple(image_hw):
        return "image"
    return "box"


def _one_result(count, boxes, classes, scores, masks, image_shape, mask_format, threshold,
                family):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)[:count]
    rois, keep, paste_boxes = family.boxes_from_serving(boxes, image_shape)
    class_ids = np.asarray(classes).reshape(-1)[:count].astype(np.int32)[keep]
    scores = np.asarray(scores).reshape(-1)[:count].astype(np.float32)[keep]
    masks = np.asarray(masks)[:count][keep]
    rois = rois[keep]
    if not len(rois):
        full = np.zeros(tuple(image_shape[:2]) + (0,), bool)
    elif _mask_format(masks, image_shape[:2], mask_format) == "image":
        if tuple(masks.shape[1:]) != tuple(image_shape[:2]):
            raise ValueError(f"detection_masks: image masks of shape {masks.shape[1:]} for an "
                             f"image of {tuple(image_shape[:2])}")
        full = np.moveaxis(masks > 0, 0, -1)
    else:
        full = family.paste_serving_masks(masks.astype(np.float32), paste_boxes[keep],
                                          image_shape, threshold)
    return {"rois": rois, "class_ids": class_ids, "scores": scores, "masks": full}


def results_from_serving(outputs, image_shapes, *, mask_format="auto",
                         mask_threshold=MASK_THRESHOLD, family="matterport") -> list:
    """Turn the SavedModel's outputs into detect()-format dicts, one per image.

    outputs: as listed in the module doc. image_shapes: one (height, width[, channels]) per
    image of the request, in order. mask_format: "box" (28x28 soft masks, pasted with
    ops.masks.paste_masks exactly as detect() pastes them), "image" (full-size 0/1 masks), or
    "auto" (integer masks, or masks the size of the image, are "image"). family: the name of
    the model's family (families.family_named; "torchvision" for Config.ARCHITECTURE
    torchvision_*, in the SavedModel's mrcnn_config.json), which turns the boxes back into
    detect()'s rois and pastes the box masks as detect() does.
    Returns [{"rois": int32 [N, 4] (y1, x1, y2, x2) pixels, "class_ids": int32 [N],
    "scores": float32 [N], "masks": bool [H, W, N]}, ...].
    """
    if mask_format not in MASK_FORMATS:
        raise ValueError(f"mask_format: expected one of {MASK_FORMATS}, got {mask_format!r}")
    model_family = family_named(family)
    columns = _columns(outputs)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ValueError(f"outputs: missing {', '.join(missing)} (is this a mrcnn_tf "
                         f"SavedModel's answer?)")
    shapes = [tuple(int(v) for v in shape) for shape in image_shapes]
    counts = np.asarray(columns[NUM_DETECTIONS]).reshape(-1)
    if len(counts) != len(shapes):
        raise ValueError(f"image_shapes: {len(shapes)} shapes for a batch of {len(counts)} "
                         f"images")
    return [_one_result(int(counts[i]), columns[BOXES][i], columns[CLASSES][i],
                        columns[SCORES][i], columns[MASKS][i], shape, mask_format,
                        mask_threshold, model_family)
            for i, shape in enumerate(shapes)]
