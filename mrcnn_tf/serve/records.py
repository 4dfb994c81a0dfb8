"""detect() results -> the API's JSON: the per-image record ``mrcnn-tf detect --out`` writes
(results.to_record), with the box and mask formats a request asks for, and the model's
description for /v1/model.

A detection: {"class_id", "class_name", "score", "box", "bbox": [x, y, w, h] (COCO),
"mask_area", and "rle" {"size", "counts"} (mask_format "rle") or "polygons" [[x1, y1, ...]]
("polygon") or no mask ("none")}. "box" is [y1, x1, y2, x2] pixels (box_format "yxyx", as in
NAME.json), [x1, y1, x2, y2] ("xyxy") or [x, y, w, h] ("xywh"); x2/y2 are exclusive.
"""
from __future__ import annotations

import os

import numpy as np

from mrcnn_tf import results as results_lib
from mrcnn_tf.filtering import filter_result
from mrcnn_tf.ops.box_formats import convert_boxes_array
from mrcnn_tf.serve.errors import bad_request

BOX_FORMATS = ("yxyx", "xyxy", "xywh")  # the pixel formats of ops.box_formats.BOX_FORMATS
MASK_FORMATS = ("rle", "polygon", "none")


def check_choice(field: str, value, choices) -> str:
    """value as one of choices (case-insensitive); ApiError 400 naming the valid ones."""
    text = str(value).strip().lower()
    if text not in choices:
        raise bad_request(f"{field}={value!r}: expected one of {', '.join(choices)}")
    return text


def check_min_score(value):
    """None, or a number in [0, 1]; ApiError 400 otherwise."""
    if value is None or value == "":
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise bad_request(f"min_score={value!r}: expected a number between 0 and 1") from None
    if not 0.0 <= score <= 1.0:
        raise bad_request(f"min_score={value!r}: expected a number between 0 and 1")
    return score


def apply_filters(result, class_names, *, classes=None, min_score=None) -> dict:
    """filter_result with ApiError 400 for unknown class names (naming the nearest ones)."""
    if classes is not None and not isinstance(classes, (str, list, tuple)):
        raise bad_request(f"classes={classes!r}: expected \"name,name\" or a list of names")
    try:
        return filter_result(result, class_names, classes=classes or None,
                             min_score=min_score)
    except ValueError as err:
        raise bad_request(f"classes: {err}") from None


def _box(box_yxyx, box_format):
    """[y1, x1, y2, x2] ints -> a list of ints in box_format (one of BOX_FORMATS)."""
    return [int(v) for v in convert_boxes_array(np.asarray(box_yxyx), "yxyx", box_format)]


def image_record(result, class_names, *, name, box_format="yxyx", mask_format="rle") -> dict:
    """One image's record: results.to_record (as detect --out writes NAME.json), with the
    requested box and mask formats. result: a detect() result for the image."""
    record = results_lib.to_record(result, class_names, image=name)
    masks = np.asarray(result["masks"], dtype=bool)
    for i, detection in enumerate(record["detections"]):
        detection["box"] = _box(detection["box"], box_format)
        if mask_format == "polygon":
            detection.pop("rle")
            detection["polygons"] = results_lib.polygons(masks[:, :, i])
        elif mask_format == "none":
            detection.pop("rle")
    return record


def model_description(model, settings) -> dict:
    """What /v1/model answers: weights file, family, backbone, classes, precision, sizes."""
    config = model.config
    backbone = config.BACKBONE if isinstance(config.BACKBONE, str) else getattr(
        config.BACKBONE, "__name__", "custom")
    return {
        "weights": os.path.basename(settings.weights) or None,
        "weights_path": settings.weights or None,
        "family": str(getattr(config, "ARCHITECTURE", "matterport")),
        "backbone": backbone,
        "num_classes": int(config.NUM_CLASSES),
        "classes": list(settings.class_names),
        "precision": str(getattr(config, "COMPUTE_DTYPE", "float32")),
        "image_resize_mode": str(config.IMAGE_RESIZE_MODE),
        "image_min_dim": int(config.IMAGE_MIN_DIM),
        "image_max_dim": int(config.IMAGE_MAX_DIM),
        "detection_min_confidence": float(config.DETECTION_MIN_CONFIDENCE),
        "max_detections": int(config.DETECTION_MAX_INSTANCES),
        "limits": {"max_pixels": settings.max_pixels, "max_body_bytes": settings.max_body_bytes,
                   "max_images": settings.max_images, "timeout_seconds": settings.timeout},
    }
