"""Detection results as data: checks, COCO results format, RLE, polygons, per-image records.

A *result* is what ``MaskRCNN.detect`` returns for one image:

    rois       int32 [N, (y1, x1, y2, x2)] pixels, y2/x2 exclusive
    class_ids  int32 [N] (indices into the class-name list; 0 is "BG")
    scores     float32 [N]
    masks      bool [H, W, N]

COCO boxes are ``[x, y, width, height]``; box formats are converted by ops.box_formats
(``convert_boxes`` adds them to a result). ``semantic_map`` / ``instance_map`` give one
label per pixel. A result of ``detect(..., masks=False)`` has no ``masks``.
RLE is pycocotools' compressed run-length encoding ``{"size": [H, W], "counts": str}``.
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np

from mrcnn_tf.class_names import COCO_CATEGORY_IDS, COCO_CLASS_NAMES
from mrcnn_tf.ops.box_formats import NORMALIZED_FORMATS, check_box_format, convert_boxes_array
from mrcnn_tf.ops.label_maps import box_masks, paint_label_map

RESULT_KEYS = ("rois", "class_ids", "scores", "masks")


def empty_result(height: int, width: int) -> dict:
    """A result with no detections for an image of height x width."""
    return {"rois": np.zeros((0, 4), np.int32), "class_ids": np.zeros((0,), np.int32),
            "scores": np.zeros((0,), np.float32), "masks": np.zeros((height, width, 0), bool)}


def check_result(result, *, image_shape=None, masks_optional=False) -> dict:
    """Validate a result dict and return it with matterport's dtypes (arrays are not copied
    when they already have them).

    image_shape: (H, W, ...) the masks must match. masks_optional: accept a result without
    ``masks`` (``detect(..., masks=False)``); the returned dict then has no ``masks`` either.
    Raises ValueError naming the problem.
    """
    if not isinstance(result, dict):
        raise ValueError(f"result: expected a dict with keys {RESULT_KEYS}, "
                         f"got {type(result).__name__}")
    has_masks = "masks" in result
    missing = [k for k in RESULT_KEYS if k not in result and not (k == "masks" and
                                                                   masks_optional)]
    if missing:
        hint = ("; a detect(..., masks=False) result has none, this needs masks"
                if missing == ["masks"] else "")
        raise ValueError(f"result: missing keys {missing} (a MaskRCNN.detect result has "
                         f"{', '.join(RESULT_KEYS)}){hint}")
    rois = np.asarray(result["rois"]).astype(np.int32, copy=False).reshape(-1, 4)
    class_ids = np.asarray(result["class_ids"]).astype(np.int32, copy=False).reshape(-1)
    scores = np.asarray(result["scores"]).astype(np.float32, copy=False).reshape(-1)
    counts = {"rois": len(rois), "class_ids": len(class_ids), "scores": len(scores)}
    checked = {"rois": rois, "class_ids": class_ids, "scores": scores}
    if has_masks:
        masks = np.asarray(result["masks"]).astype(bool, copy=False)
        if masks.ndim != 3:
            raise ValueError(f"result: masks must be [H, W, N], got shape {masks.shape}")
        counts["masks"] = masks.shape[2]
        checked["masks"] = masks
    if len(set(counts.values())) != 1:
        raise ValueError(f"result: inconsistent instance counts {counts}")
    if has_masks and image_shape is not None and masks.shape[:2] != tuple(image_shape[:2]):
        raise ValueError(f"result: masks are {masks.shape[0]}x{masks.shape[1]} but the image "
                         f"is {image_shape[0]}x{image_shape[1]}")
    return checked


def class_name(class_names, class_id: int) -> str:
    """class_names[class_id], with a clear error when the id is out of range."""
    if not 0 <= class_id < len(class_names):
        raise ValueError(f"class id {class_id} is out of range for {len(class_names)} class "
                         "names — do the class names belong to these weights?")
    return str(class_names[class_id])


# ---- boxes ---------------------------------------------------------------------------------

def boxes_to_xywh(rois) -> np.ndarray:
    """[N, (y1, x1, y2, x2)] -> [N, (x, y, width, height)] (COCO), same dtype."""
    return convert_boxes_array(np.asarray(rois).reshape(-1, 4), "yxyx", "xywh")


def xywh_to_boxes(bboxes) -> np.ndarray:
    """[N, (x, y, width, height)] -> int32 [N, (y1, x1, y2, x2)], rounded to pixels."""
    b = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4)
    return np.rint(convert_boxes_array(b, "xywh", "yxyx")).astype(np.int32)


def convert_boxes(result, box_format: str, *, image_shape=None) -> dict:
    """A copy of a detect() result with ``boxes`` in box_format and ``box_format`` added.

    box_format: one of ops.box_formats.BOX_FORMATS: "yxyx" (y1, x1, y2, x2), "xyxy"
    (x1, y1, x2, y2), "xywh" (x, y, w, h; COCO), all int32 pixels with y2/x2 exclusive, or
    "cxcywh_normalized" (bx, by, bw, bh) float32: centre and size as fractions of the image's
    width (bx, bw) and height (by, bh), or "bxbybhbw" the same in the order (bx, by, bh, bw).
    image_shape: (H, W, ...), needed for the normalized formats when the result has no masks
    (else the masks' size). ``rois`` and the other keys
    are the input's, unchanged (the dict is new, its arrays shared). ValueError naming the
    valid formats for an unknown one.
    """
    box_format = check_box_format(box_format)
    checked = check_result(result, masks_optional=True)
    if image_shape is None and "masks" in checked:
        image_shape = checked["masks"].shape
    boxes = convert_boxes_array(checked["rois"], "yxyx", box_format, image_shape)
    boxes = boxes.astype(np.float32 if box_format in NORMALIZED_FORMATS else np.int32)
    return {**result, "boxes": boxes, "box_format": box_format}


# ---- per-pixel maps: semantic (class ids) and instance (index + 1) -----------------------

def _pixel_masks(result, shape, caller) -> tuple:
    """(checked result, bool [H, W, N]): the masks, or the filled boxes when there are none."""
    checked = check_result(result, masks_optional=True)
    if "masks" in checked:
        if shape is not None and tuple(shape[:2]) != checked["masks"].shape[:2]:
            raise ValueError(f"{caller}: shape {tuple(shape[:2])} differs from the masks' "
                             f"{checked['masks'].shape[:2]}")
        return checked, checked["masks"]
    if shape is None:
        raise ValueError(f"{caller}: the result has no masks (detect(..., masks=False)); pass "
                         "shape=(height, width) to paint its boxes instead")
    return checked, box_masks(checked["rois"], shape)


def semantic_map(result, shape=None) -> np.ndarray:
    """int32 [H, W]: the class id of the instance on each pixel, 0 (background) where none.

    Where instances overlap, the higher score wins (equal scores: the earlier instance).
    shape: (H, W, ...); by default the masks' size. A result without masks needs shape, and
    its instances are painted as their filled boxes (rois).
    """
    checked, masks = _pixel_masks(result, shape, "semantic_map")
    return paint_label_map(masks, checked["scores"], checked["class_ids"])


def instance_map(result, shape=None) -> np.ndarray:
    """int32 [H, W]: instance index + 1 on each pixel (index into rois, class_ids, ...), 0
    where no instance is. Overlaps and shape as in semantic_map."""
    checked, masks = _pixel_masks(result, shape, "instance_map")
    count = len(checked["scores"])
    return paint_label_map(masks, checked["scores"], np.arange(1, count + 1, dtype=np.int32))


# ---- masks: RLE and polygons ---------------------------------------------------------------

def masks_to_rle(masks) -> list:
    """bool [H, W, N] -> N compressed RLE dicts {"size": [H, W], "counts": str} (JSON-ready)."""
    from pycocotools import mask as mask_utils

    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3:
        raise ValueError(f"masks must be [H, W, N], got shape {masks.shape}")
    if masks.shape[2] == 0:
        return []
    encoded = mask_utils.encode(np.asfortranarray(masks.astype(np.uint8)))
    return [{"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}
            for rle in encoded]


def mask_to_rle(mask) -> dict:
    """bool [H, W] -> compressed RLE {"size": [H, W], "counts": str}."""
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must be [H, W], got shape {mask.shape}")
    return masks_to_rle(mask[:, :, None])[0]


def rle_to_mask(rle) -> np.ndarray:
    """A COCO RLE (compressed ``counts`` as str/bytes, or uncompressed as a list) -> bool [H, W]."""
    from pycocotools import mask as mask_utils

    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise ValueError("RLE: expected a dict with 'size' [H, W] and 'counts'")
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, list):
        rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    else:
        rle = {"size": [height, width],
               "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    with warnings.catch_warnings():  # pycocotools' Cython __array__ predates NumPy 2's copy=
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_utils.decode(rle).astype(bool)


def polygons(mask) -> list:
    """Outer contours of a bool [H, W] mask as COCO polygons [[x1, y1, x2, y2, ...], ...].

    Pixel coordinates of boundary pixels (OpenCV ``findContours``, external contours only, so
    holes are not represented). Parts with fewer than 3 points (1-2 pixel slivers) are
    dropped, as COCO polygons need 3. ``mask_from_polygons`` is the inverse for masks
    without holes.
    """
    import cv2

    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must be [H, W], got shape {mask.shape}")
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]


def mask_from_polygons(polys, height: int, width: int) -> np.ndarray:
    """COCO polygons [[x1, y1, x2, y2, ...], ...] -> bool [height, width] (OpenCV fillPoly;
    boundary pixels included, overlapping parts united)."""
    import cv2

    canvas = np.zeros((height, width), np.uint8)
    for poly in polys:
        points = np.rint(np.asarray(poly, dtype=np.float64).reshape(-1, 2)).astype(np.int32)
        if len(points):
            cv2.fillPoly(canvas, [points], 1)
    return canvas.astype(bool)


# ---- COCO results format -------------------------------------------------------------------

def category_ids_for(class_names) -> list:
    """COCO category id of each class id (index-aligned with class_names; None for "BG").

    For matterport's COCO class list these are the real COCO ids (e.g. "bus" -> 6); for any
    other list the category id is the class id itself.
    """
    if tuple(class_names) == COCO_CLASS_NAMES:
        return [None] + list(COCO_CATEGORY_IDS)
    return [None] + list(range(1, len(class_names)))


def to_coco(result, image_id, class_names, *, category_ids=None) -> list:
    """One image's result as COCO result dicts (what ``COCO.loadRes`` reads).

    Each: {"image_id", "category_id", "bbox": [x, y, w, h], "score", "segmentation": RLE}.
    category_ids: category id per class id; default ``category_ids_for(class_names)``.
    """
    result = check_result(result)
    category_ids = category_ids_for(class_names) if category_ids is None else category_ids
    if isinstance(image_id, np.integer):
        image_id = int(image_id)
    out = []
    for i, rle in enumerate(masks_to_rle(result["masks"])):
        class_id = int(result["class_ids"][i])
        class_name(class_names, class_id)
        out.append({"image_id": image_id, "category_id": category_ids[class_id],
                    "bbox": [int(v) for v in boxes_to_xywh(result["rois"][i:i + 1])[0]],
                    "score": float(result["scores"][i]), "segmentation": rle})
    return out


def from_coco(annotations, *, image_id=None, class_names=COCO_CLASS_NAMES, category_ids=None,
              height=None, width=None) -> dict:
    """COCO result dicts (a list, or a path to a JSON list) back to a result dict.

    image_id: keep only this image's entries. Segmentations may be RLE (compressed or not) or
    polygons; polygons and empty lists need height and width. Class ids come from the
    inverse of ``category_ids`` (default ``category_ids_for(class_names)``).
    """
    if isinstance(annotations, (str, os.PathLike)):
        with open(annotations) as f:
            annotations = json.load(f)
    anns = [a for a in annotations if image_id is None or a["image_id"] == image_id]
    category_ids = category_ids_for(class_names) if category_ids is None else category_ids
    to_class = {cat: class_id for class_id, cat in enumerate(category_ids) if cat is not None}
    masks = []
    for a in anns:
        seg = a["segmentation"]
        if isinstance(seg, dict):
            masks.append(rle_to_mask(seg))
        elif height is None or width is None:
            raise ValueError("from_coco: polygon segmentations need height and width")
        else:
            masks.append(mask_from_polygons(seg, height, width))
        if a["category_id"] not in to_class:
            raise ValueError(f"from_coco: category_id {a['category_id']} is not one of the "
                             f"class list's categories")
    if not anns:
        return empty_result(height or 0, width or 0)
    return {"rois": xywh_to_boxes([a["bbox"] for a in anns]),
            "class_ids": np.array([to_class[a["category_id"]] for a in anns], np.int32),
            "scores": np.array([a.get("score", 1.0) for a in anns], np.float32),
            "masks": np.stack(masks, axis=-1)}


# ---- per-image JSON record (written by ``mrcnn-tf detect`` as NAME.json) --------------------

def to_record(result, class_names, *, image, image_id=None) -> dict:
    """The per-image record: {"image", "image_id", "height", "width", "detections": [{
    "class_id", "class_name", "score", "box": [y1, x1, y2, x2], "bbox": [x, y, w, h],
    "mask_area", "rle": {"size", "counts"}}]}. image: the image's path or name."""
    result = check_result(result)
    height, width = result["masks"].shape[:2]
    bboxes = boxes_to_xywh(result["rois"])
    areas = result["masks"].sum(axis=(0, 1))
    detections = []
    for i, rle in enumerate(masks_to_rle(result["masks"])):
        class_id = int(result["class_ids"][i])
        detections.append({
            "class_id": class_id, "class_name": class_name(class_names, class_id),
            "score": float(result["scores"][i]), "box": [int(v) for v in result["rois"][i]],
            "bbox": [int(v) for v in bboxes[i]], "mask_area": int(areas[i]), "rle": rle})
    record = {"image": os.fspath(image), "height": int(height), "width": int(width),
              "detections": detections}
    if image_id is not None:
        record["image_id"] = image_id
    return record


def from_record(record) -> dict:
    """A per-image record (dict or path to NAME.json) back to a result dict."""
    if isinstance(record, (str, os.PathLike)):
        with open(record) as f:
            record = json.load(f)
    height, width = int(record["height"]), int(record["width"])
    dets = record["detections"]
    if not dets:
        return empty_result(height, width)
    return {"rois": np.array([d["box"] for d in dets], np.int32).reshape(-1, 4),
            "class_ids": np.array([d["class_id"] for d in dets], np.int32),
            "scores": np.array([d["score"] for d in dets], np.float32),
            "masks": np.stack([rle_to_mask(d["rle"]) for d in dets], axis=-1)}
