"""Instance colours: a hue per class (its colour family), a shade per instance of the class."""
from __future__ import annotations

import colorsys

import numpy as np

GOLDEN_RATIO = 0.618033988749895  # spreads consecutive class ids around the hue circle
# (saturation, value) shades given in turn to the instances of one class.
SHADES = ((0.90, 1.00), (0.55, 1.00), (0.95, 0.70), (0.45, 0.85), (0.75, 0.55), (0.30, 1.00))


def class_hue(class_id: int) -> float:
    """Hue in [0, 1) of a class: fixed for a class id, far from its neighbours'."""
    return (int(class_id) * GOLDEN_RATIO) % 1.0


def instance_colors(class_ids) -> list:
    """One RGB colour (ints 0-255) per instance: the class's hue, the k-th instance of a class
    getting the k-th shade, so instances of a class differ but stay in one colour family."""
    seen = {}
    colors = []
    for class_id in np.asarray(class_ids).reshape(-1):
        k = seen.get(int(class_id), 0)
        seen[int(class_id)] = k + 1
        saturation, value = SHADES[k % len(SHADES)]
        rgb = colorsys.hsv_to_rgb(class_hue(class_id), saturation, value)
        colors.append(tuple(int(round(c * 255)) for c in rgb))
    return colors


def as_rgb255(color) -> tuple:
    """A colour as (r, g, b) ints 0-255; floats all <= 1 (matplotlib style) are scaled by 255."""
    values = [float(c) for c in color][:3]
    if len(values) != 3:
        raise ValueError(f"colour {color!r}: expected three components (r, g, b)")
    if all(isinstance(c, (float, np.floating)) for c in list(color)[:3]) and max(values) <= 1.0:
        values = [c * 255 for c in values]
    return tuple(int(round(min(max(c, 0.0), 255.0))) for c in values)


def colorize_labels(labels) -> np.ndarray:
    """uint8 RGB [H, W, 3] of a class-id map int [H, W] (results.semantic_map): each class in
    the colour draw_instances gives its first instance (its hue, first shade), 0 black."""
    labels = np.asarray(labels)
    out = np.zeros(labels.shape + (3,), np.uint8)
    present = [int(c) for c in np.unique(labels) if c > 0]
    for class_id, color in zip(present, instance_colors(present)):
        out[labels == class_id] = color
    return out
