"""ShapesDataset: synthetic images of squares, circles and triangles on plain backgrounds.

matterport's toy data set, for trying training end to end in minutes. Images are generated
on the fly from a per-image specification drawn at ``load_shapes`` time (deterministic given
the seed). Classes: 1 square, 2 circle, 3 triangle. Later shapes occlude earlier ones.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from mrcnn_tf.data.dataset import Dataset
from mrcnn_tf.ops.boxes import box_iou

SHAPES = ("square", "circle", "triangle")


class ShapesDataset(Dataset):
    """Synthetic shapes; see module docstring.

        dataset = ShapesDataset()
        dataset.load_shapes(count=100, height=128, width=128, seed=0)
        dataset.prepare()
    """

    def load_shapes(self, count, height, width, *, seed=None, max_shapes=4):
        """Add ``count`` images of height x width, each with 1..max_shapes shapes."""
        rng = np.random.default_rng(seed)
        for name_id, name in enumerate(SHAPES, start=1):
            self.add_class("shapes", name_id, name)
        for i in range(count):
            bg_color, shapes = random_image(height, width, rng, max_shapes=max_shapes)
            self.add_image("shapes", image_id=i, path=None, width=width, height=height,
                           bg_color=bg_color, shapes=shapes)

    def load_image(self, image_id):
        info = self.image_info[image_id]
        image = np.empty([info["height"], info["width"], 3], dtype=np.uint8)
        image[:] = info["bg_color"]
        for shape, color, dims in info["shapes"]:
            draw_shape(image, shape, dims, color)
        return image

    def image_reference(self, image_id):
        return f"shapes image {image_id}: {[s for s, _, _ in self.image_info[image_id]['shapes']]}"

    def load_mask(self, image_id):
        info = self.image_info[image_id]
        shapes = info["shapes"]
        masks = np.zeros([info["height"], info["width"], len(shapes)], dtype=np.uint8)
        for i, (shape, _, dims) in enumerate(shapes):
            masks[:, :, i] = draw_shape(masks[:, :, i].copy(), shape, dims, 1)
        masks = masks.astype(bool)
        visible = np.ones(masks.shape[:2], dtype=bool)
        for i in range(len(shapes) - 1, -1, -1):  # later shapes are drawn on top
            masks[:, :, i] &= visible
            visible &= ~masks[:, :, i]
        class_ids = np.array([SHAPES.index(s) + 1 for s, _, _ in shapes], dtype=np.int32)
        return masks, class_ids


def draw_shape(image, shape, dims, color):
    """Draw a filled shape centred at (y, x) with half-size s; dims = (y, x, s)."""
    y, x, s = dims
    if shape == "square":
        cv2.rectangle(image, (x - s, y - s), (x + s, y + s), color, -1)
    elif shape == "circle":
        cv2.circle(image, (x, y), s, color, -1)
    elif shape == "triangle":
        points = np.array([[(x, y - s), (x - s / math.sin(math.radians(60)), y + s),
                            (x + s / math.sin(math.radians(60)), y + s)]], dtype=np.int32)
        cv2.fillPoly(image, points, color)
    else:
        raise ValueError(f"unknown shape {shape!r}; valid: {', '.join(SHAPES)}")
    return image


def random_shape(height, width, rng):
    """(shape name, RGB color tuple, (y, x, s)) placed inside the image."""
    shape = SHAPES[rng.integers(len(SHAPES))]
    color = tuple(int(c) for c in rng.integers(0, 256, 3))
    buffer = 20
    y = int(rng.integers(buffer, height - buffer))
    x = int(rng.integers(buffer, width - buffer))
    s = int(rng.integers(buffer, max(buffer + 1, min(height, width) // 4)))
    return shape, color, (y, x, s)


def random_image(height, width, rng, *, max_shapes=4, overlap_iou=0.3):
    """A background color and a list of shapes whose boxes overlap by IoU < overlap_iou."""
    bg_color = np.array([int(c) for c in rng.integers(0, 256, 3)])
    shapes, boxes = [], []
    for _ in range(int(rng.integers(1, max_shapes + 1))):
        shape, color, (y, x, s) = random_shape(height, width, rng)
        box = [y - s, x - s, y + s, x + s]
        if boxes and box_iou([box], boxes).max() >= overlap_iou:
            continue
        shapes.append((shape, color, (y, x, s)))
        boxes.append(box)
    return bg_color, shapes
