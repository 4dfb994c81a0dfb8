"""Fast OpenCV rendering of detections: translucent masks, outlines, boxes, labels.

Everything drawn stays inside the image and inside the geometry it belongs to: a mask's
fill and outline only touch the mask's pixels, a box is a band of ``line_width`` pixels on
the inside of its (y1, x1, y2, x2) rectangle (y2/x2 exclusive), and a label is a filled
rectangle placed just above its box (or inside the top of it when there is no room), moved
to lie within the image; where that spot is taken by another label, it steps down (see
place_labels), so labels of boxes that share a top edge do not cover each other.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from mrcnn_tf.results import check_result, class_name
from mrcnn_tf.visualize.colors import as_rgb255, instance_colors
from mrcnn_tf.visualize.image import as_rgb_uint8

FONT = cv2.FONT_HERSHEY_SIMPLEX
LABEL_PADDING = 2  # pixels around the label text
DARK_TEXT_LUMA = 150  # label backgrounds brighter than this get black text, others white


@dataclasses.dataclass(frozen=True)
class Style:
    """Sizes for one image: line width (pixels), font scale and font thickness."""

    line_width: int
    font_scale: float
    font_thickness: int


def style_for(image_shape, line_width=None) -> Style:
    """Sizes that scale with the image: 1-pixel lines below 800 pixels on the short side."""
    short = min(image_shape[:2])
    width = int(line_width) if line_width is not None else max(1, short // 400)
    return Style(line_width=max(1, width), font_scale=max(0.4, min(1.2, short / 1000)),
                 font_thickness=1 if short < 1200 else 2)


def _label_size(text, style: Style) -> tuple:
    (text_w, text_h), baseline = cv2.getTextSize(text, FONT, style.font_scale,
                                                 style.font_thickness)
    return text_w + 2 * LABEL_PADDING, text_h + baseline + 2 * LABEL_PADDING


def _inside_image(x, y, w, h, image_shape) -> tuple:
    height, width = image_shape[:2]
    y = min(max(y, 0), max(height - h, 0))
    x = min(max(x, 0), max(width - w, 0))
    return x, y, min(w, width - x), min(h, height - y)


def label_rect(text, box, image_shape, style: Style) -> tuple:
    """(x, y, width, height) in pixels of the label for a box (y1, x1, y2, x2): above the box
    when it fits, else inside its top; shifted to lie inside the image where it fits. This is
    a label's first choice; place_labels moves it when another label is there."""
    w, h = _label_size(text, style)
    y1, x1 = int(box[0]), int(box[1])
    return _inside_image(x1, y1 - h if y1 - h >= 0 else y1, w, h, image_shape)


def _overlap(a, b) -> int:
    """Area in pixels shared by two (x, y, w, h) rectangles."""
    dx = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    dy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(dx, 0) * max(dy, 0)


def place_labels(texts, boxes, image_shape, style: Style) -> list:
    """(x, y, width, height) of each label, placed in the given order (draw_instances passes
    the most confident first) so that labels do not cover each other where there is room.

    Each label's spots, in order of preference: label_rect's; then down its box one label
    height at a time, from the box's top edge; then just below the box. It takes the first
    spot that no label placed before it overlaps, else the one overlapping least.
    """
    placed = []
    for text, box in zip(texts, boxes):
        first = label_rect(text, box, image_shape, style)
        w, h = _label_size(text, style)
        y1, x1, y2 = int(box[0]), int(box[1]), int(box[2])
        spots = [first] + [_inside_image(x1, y, w, h, image_shape)
                           for y in [*range(y1, max(y2 - h, y1) + 1, h), y2]]
        overlaps = [sum(_overlap(spot, other) for other in placed) for spot in spots]
        placed.append(spots[overlaps.index(min(overlaps))])
    return placed


def _blend(canvas, mask, color, alpha):
    """canvas[mask] = (1 - alpha) * canvas + alpha * color, rounded."""
    pixels = canvas[mask].astype(np.float32)
    canvas[mask] = np.clip(np.rint(pixels * (1 - alpha) + np.float32(color) * alpha), 0, 255)


def _outline(mask, line_width):
    """The band of line_width pixels just inside the mask's boundary (bool [H, W])."""
    eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8),
                       iterations=line_width, borderType=cv2.BORDER_REPLICATE)
    return mask & ~eroded.astype(bool)


def _mask_region(mask, margin):
    """Slices of the mask's bounding rectangle grown by margin pixels (clipped to the image),
    or None for an empty mask: drawing works on that crop, not on the whole image."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    return (slice(max(rows[0] - margin, 0), min(rows[-1] + 1 + margin, height)),
            slice(max(cols[0] - margin, 0), min(cols[-1] + 1 + margin, width)))


def _draw_box(canvas, box, color, line_width):
    height, width = canvas.shape[:2]
    y1, x1, y2, x2 = (int(v) for v in box)
    y1, x1 = max(y1, 0), max(x1, 0)
    y2, x2 = min(y2, height), min(x2, width)
    for k in range(line_width):  # nested 1-pixel rectangles: the band grows inwards
        if y2 - 1 - k < y1 + k or x2 - 1 - k < x1 + k:
            break
        cv2.rectangle(canvas, (x1 + k, y1 + k), (x2 - 1 - k, y2 - 1 - k), color, 1)


def _draw_label(canvas, text, rect, color, style):
    x, y, w, h = rect
    if w <= 0 or h <= 0:
        return
    cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), color, cv2.FILLED)
    luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    text_color = (0, 0, 0) if luma > DARK_TEXT_LUMA else (255, 255, 255)
    (_, text_h), _ = cv2.getTextSize(text, FONT, style.font_scale, style.font_thickness)
    # putText may spill past the label's own rectangle: clip it to the rectangle.
    label = canvas[y:y + h, x:x + w].copy()
    cv2.putText(label, text, (LABEL_PADDING, LABEL_PADDING + text_h), FONT, style.font_scale,
                text_color, style.font_thickness, cv2.LINE_AA)
    canvas[y:y + h, x:x + w] = label


def caption(result, i, class_names) -> str:
    """ "class score" for instance i, e.g. "person 0.98"."""
    name = class_name(class_names, int(result["class_ids"][i]))
    return f"{name} {float(result['scores'][i]):.2f}"


def draw_instances(image, result, class_names, *, show_boxes=True, show_masks=True,
                   show_labels=True, colors=None, alpha=0.5, line_width=None) -> np.ndarray:
    """Draw a detect() result on a copy of the image.

    image: anything detect() accepts ([H, W] / [H, W, 1|3|4], uint8, uint16 or float).
    result: dict with rois int [N, (y1, x1, y2, x2)] pixels, class_ids [N], scores [N], masks
    bool [H, W, N] (a result without masks, from detect(..., masks=False), gets boxes and
    labels only). class_names: index = class id. colors: one (r, g, b) per instance, ints
    0-255 or floats 0-1; default: a hue per class, a shade per instance (colors.py).
    alpha: mask opacity. line_width: box and outline width in pixels (default scales with the
    image). Returns a new uint8 RGB [H, W, 3] array; the input is never modified.
    """
    canvas = as_rgb_uint8(image)
    result = check_result(result, image_shape=canvas.shape, masks_optional=True)
    show_masks = show_masks and "masks" in result
    count = len(result["class_ids"])
    if colors is None:
        colors = instance_colors(result["class_ids"])
    elif len(colors) < count:
        raise ValueError(f"colors: {len(colors)} given for {count} instances")
    colors = [as_rgb255(c) for c in colors[:count]]
    style = style_for(canvas.shape, line_width)
    for i in range(count):
        region = _mask_region(result["masks"][:, :, i], style.line_width + 1) if show_masks \
            else None
        if region is not None:
            mask, crop = result["masks"][:, :, i][region], canvas[region]  # crop is a view
            _blend(crop, mask, colors[i], alpha)
            crop[_outline(mask, style.line_width)] = colors[i]
    for i in range(count):
        if show_boxes and np.any(result["rois"][i]):
            _draw_box(canvas, result["rois"][i], colors[i], style.line_width)
    if show_labels:
        for i, rect in label_rects(result, class_names, canvas.shape, style).items():
            _draw_label(canvas, caption(result, i, class_names), rect, colors[i], style)
    return canvas


def label_rects(result, class_names, image_shape, style: Style) -> dict:
    """{instance index: (x, y, width, height)} of the labels draw_instances draws (instances
    with an all-zero box get none), placed by descending score (place_labels)."""
    order = [int(i) for i in np.argsort(-np.asarray(result["scores"], np.float64), kind="stable")
             if np.any(result["rois"][i])]
    rects = place_labels([caption(result, i, class_names) for i in order],
                         [result["rois"][i] for i in order], image_shape, style)
    return dict(zip(order, rects))
