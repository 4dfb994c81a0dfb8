"""matplotlib display with matterport's ``visualize.display_instances`` signature and look.

Dashed boxes, captions at the top-left of each box, masks blended at 50 %, mask outlines as
polygons, the axis turned off and a 10-pixel margin. Works headless (Agg backend): pass an
``ax`` from your own figure and save the figure.
"""
from __future__ import annotations

import colorsys
import random

import numpy as np


def random_colors(N, bright=True):
    """N colours (r, g, b floats 0-1) spread evenly over the hue circle, in random order.
    bright=False gives darker colours (value 0.7 instead of 1)."""
    value = 1.0 if bright else 0.7
    colors = [colorsys.hsv_to_rgb(i / max(N, 1), 1.0, value) for i in range(N)]
    random.shuffle(colors)
    return colors


def apply_mask(image, mask, color, alpha=0.5):
    """Blend ``color`` (floats 0-1) into ``image`` [H, W, 3] where mask [H, W] is 1, in place
    (as matterport: pass a float or wide-int copy); returns the image."""
    inside = np.asarray(mask) == 1
    for channel in range(3):
        plane = image[:, :, channel]
        image[:, :, channel] = np.where(inside, plane * (1 - alpha) + alpha * color[channel] * 255,
                                        plane)
    return image


def _caption(class_ids, class_names, scores, captions, i):
    if captions:
        return captions[i]
    label = class_names[class_ids[i]]
    score = scores[i] if scores is not None else None
    return f"{label} {score:.3f}" if score else label


def _outline_polygons(mask):
    """Sub-pixel outline polygons (x, y) of a mask, closed also at the image border."""
    from skimage.measure import find_contours

    padded = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), dtype=np.uint8)
    padded[1:-1, 1:-1] = mask
    return [np.fliplr(verts) - 1 for verts in find_contours(padded, 0.5)]


def display_instances(image, boxes, masks, class_ids, class_names, scores=None, title="",
                      figsize=(16, 16), ax=None, show_mask=True, show_bbox=True, colors=None,
                      captions=None):
    """Show detections with matplotlib, as matterport's display_instances.

    image: [H, W, 3] RGB. boxes: [N, (y1, x1, y2, x2)] pixels. masks: [H, W, N]. class_ids:
    [N]. class_names: index = class id. scores: [N] or None. title: axes title. figsize: of
    the figure made when ax is None (then shown with plt.show() on an interactive backend).
    show_mask / show_bbox: draw masks / boxes. colors: N (r, g, b) floats 0-1 (default
    random_colors(N)). captions: N strings replacing "class score".
    Returns the matplotlib Axes.
    """
    from matplotlib import patches

    boxes = np.asarray(boxes)
    masks = np.asarray(masks)
    count = boxes.shape[0]
    if not count:
        print("\n*** No instances to display *** \n")
    elif not boxes.shape[0] == masks.shape[-1] == len(class_ids):
        raise ValueError(f"display_instances: {boxes.shape[0]} boxes, {masks.shape[-1]} masks "
                         f"and {len(class_ids)} class ids; they must match")
    auto_show = ax is None
    if auto_show:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(1, figsize=figsize)
    colors = colors if colors is not None else random_colors(count)
    height, width = image.shape[:2]
    ax.set_ylim(height + 10, -10)
    ax.set_xlim(-10, width + 10)
    ax.axis("off")
    ax.set_title(title)
    masked = np.asarray(image).astype(np.uint32).copy()
    for i in range(count):
        color = colors[i]
        if not np.any(boxes[i]):  # skipped: probably lost in cropping
            continue
        y1, x1, y2, x2 = boxes[i]
        if show_bbox:
            ax.add_patch(patches.Rectangle((x1, y1), x2 - x1, y2 - y1, linewidth=2, alpha=0.7,
                                           linestyle="dashed", edgecolor=color,
                                           facecolor="none"))
        ax.text(x1, y1 + 8, _caption(class_ids, class_names, scores, captions, i), color="w",
                size=11, backgroundcolor="none")
        mask = masks[:, :, i]
        if show_mask:
            masked = apply_mask(masked, mask, color)
        for verts in _outline_polygons(mask):
            ax.add_patch(patches.Polygon(verts, facecolor="none", edgecolor=color))
    ax.imshow(masked.astype(np.uint8))
    if auto_show:
        import matplotlib
        import matplotlib.pyplot as plt

        if matplotlib.get_backend().lower() not in ("agg", "pdf", "ps", "svg", "cairo", "template"):
            plt.show()
    return ax
