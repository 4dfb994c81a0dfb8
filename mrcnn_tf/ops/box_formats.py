"""Box formats at the API's edges, in numpy: one converter between five layouts.

Shape shorthand: ``[..., 4]`` any number of leading axes (one box ``[4]``, N boxes
``[N, 4]``, ...). Pixel formats treat y2/x2 as exclusive, so a box's width is ``x2 - x1``:

    "yxyx"               (y1, x1, y2, x2) pixels: matterport's, what detect() returns in rois
    "xyxy"               (x1, y1, x2, y2) pixels: torchvision's, Pascal VOC's layout
    "xywh"               (x, y, w, h) pixels: COCO's bbox, (x, y) the top-left corner
    "cxcywh_normalized"  (bx, by, bw, bh): centre x, centre y, width, height as fractions of
                         the image's width (bx, bw) and height (by, bh), YOLO's order
    "bxbybhbw"           (bx, by, bh, bw): the same fractions in the order of the founding
                         document's (and Andrew Ng's course's) y = (pc, bx, by, bh, bw, ...)

Worked example, a 200 x 100 (W x H) image and the box covering columns 20-59, rows 10-29:
yxyx (10, 20, 30, 60); xyxy (20, 10, 60, 30); xywh (20, 10, 40, 20);
cxcywh_normalized (0.2, 0.2, 0.2, 0.2) = centre (40, 20) / (200, 100), size (40, 20) / (200, 100).
A 40 x 30 (w x h) box at the same centre: cxcywh_normalized (0.2, 0.2, 0.2, 0.3), bxbybhbw
(0.2, 0.2, 0.3, 0.2). The whole image is (0.5, 0.5, 1, 1). This is the continuous convention
(pixel edges), not ``ops.boxes.norm_boxes``' (H - 1, W - 1) scaling, which is internal to the
model.
"""
from __future__ import annotations

import numpy as np

BOX_FORMATS = ("yxyx", "xyxy", "xywh", "cxcywh_normalized", "bxbybhbw")
NORMALIZED_FORMATS = ("cxcywh_normalized", "bxbybhbw")  # fractions of the image, float


def check_box_format(box_format, name: str = "box_format") -> str:
    """box_format as one of BOX_FORMATS (case and outer spaces ignored); ValueError naming the
    valid formats otherwise."""
    text = str(box_format).strip().lower()
    if text not in BOX_FORMATS:
        raise ValueError(f"{name}={box_format!r}: expected one of {', '.join(BOX_FORMATS)}")
    return text


def _image_size(image_shape, source, target) -> tuple:
    if image_shape is None or len(image_shape) < 2:
        raise ValueError(f"image_shape: converting {source!r} to {target!r} needs the image's "
                         f"(height, width, ...), got {image_shape!r}")
    height, width = float(image_shape[0]), float(image_shape[1])
    if height <= 0 or width <= 0:
        raise ValueError(f"image_shape: height and width must be positive, got {image_shape!r}")
    return height, width


def _to_yxyx(boxes, source, size):
    a, b, c, d = (boxes[..., k] for k in range(4))
    if source == "yxyx":
        return a, b, c, d
    if source == "xyxy":
        return b, a, d, c
    if source == "xywh":
        return b, a, b + d, a + c
    if source == "bxbybhbw":
        c, d = d, c
    height, width = size  # (bx, by, bw, bh) fractions
    return ((b - d / 2) * height, (a - c / 2) * width, (b + d / 2) * height,
            (a + c / 2) * width)


def _from_yxyx(y1, x1, y2, x2, target, size):
    if target == "yxyx":
        return y1, x1, y2, x2
    if target == "xyxy":
        return x1, y1, x2, y2
    if target == "xywh":
        return x1, y1, x2 - x1, y2 - y1
    height, width = size
    bx, by = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
    bw, bh = (x2 - x1) / width, (y2 - y1) / height
    return (bx, by, bh, bw) if target == "bxbybhbw" else (bx, by, bw, bh)


def convert_boxes_array(boxes, source: str, target: str, image_shape=None) -> np.ndarray:
    """Boxes [..., 4] from one format of BOX_FORMATS to another (see the module docstring).

    image_shape: (height, width, ...) of the image the boxes belong to; needed only when
    source or target is normalized (NORMALIZED_FORMATS). Between pixel formats the dtype is
    kept (int32 stays int32, nothing is rounded); to or from a normalized one it is float64,
    not rounded (np.rint it for whole pixels). Returns a new array of the input's shape.
    Raises ValueError for an unknown format, a last axis that is not 4, or a missing
    image_shape.
    """
    source = check_box_format(source, "source")
    target = check_box_format(target, "target")
    boxes = np.asarray(boxes)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes: expected shape [..., 4], got {boxes.shape}")
    size = None
    if source in NORMALIZED_FORMATS or target in NORMALIZED_FORMATS:
        size = _image_size(image_shape, source, target)
        boxes = boxes.astype(np.float64)
    elif not np.issubdtype(boxes.dtype, np.number):
        raise ValueError(f"boxes: expected numbers, got dtype {boxes.dtype}")
    return np.stack(_from_yxyx(*_to_yxyx(boxes, source, size), target, size), axis=-1)
