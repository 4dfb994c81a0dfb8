"""Training augmentation applied to an image and its instance masks together.

An augmentation is any callable ``aug(image, masks, rng) -> (image, masks)``: image uint8
[H, W, 3], masks bool [H, W, N], rng a numpy Generator; the output keeps H x W. Boxes are
computed from the augmented masks afterwards, so image, boxes and masks always agree.
Geometric augmentations move image and masks together; photometric ones touch the image only.

    augmentation = Sequential([HorizontalFlip(0.5), ScaleJitter(0.8, 1.2), Brightness(0.8, 1.2)])
    model.train(train_set, val_set, learning_rate=0.001, epochs=10, layers="heads",
                augmentation=augmentation)
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np


@dataclasses.dataclass
class HorizontalFlip:
    """Mirror left-right with probability p."""

    p: float = 0.5

    def __call__(self, image, masks, rng):
        if rng.random() < self.p:
            return image[:, ::-1].copy(), masks[:, ::-1].copy()
        return image, masks


@dataclasses.dataclass
class VerticalFlip:
    """Mirror top-bottom with probability p."""

    p: float = 0.5

    def __call__(self, image, masks, rng):
        if rng.random() < self.p:
            return image[::-1].copy(), masks[::-1].copy()
        return image, masks


@dataclasses.dataclass
class ScaleJitter:
    """Zoom by a factor drawn from [low, high] about a random point, keeping the image size:
    zoom-in crops, zoom-out pads with zeros. Masks follow with nearest-neighbour sampling."""

    low: float = 0.8
    high: float = 1.2

    def __call__(self, image, masks, rng):
        scale = rng.uniform(self.low, self.high)
        h, w = image.shape[:2]
        # a fixed point (cy, cx) inside the frame keeps the frame covered when zooming in
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        matrix = np.array([[scale, 0, (1 - scale) * cx], [0, scale, (1 - scale) * cy]])
        image = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if masks.shape[-1]:
            moved = [cv2.warpAffine(masks[..., i].astype(np.uint8), matrix, (w, h),
                                    flags=cv2.INTER_NEAREST, borderValue=0)
                     for i in range(masks.shape[-1])]
            masks = np.stack(moved, axis=-1).astype(bool)
        return image, masks


@dataclasses.dataclass
class Brightness:
    """Multiply pixel values by a factor drawn from [low, high] (clipped to 0-255)."""

    low: float = 0.8
    high: float = 1.2

    def __call__(self, image, masks, rng):
        factor = rng.uniform(self.low, self.high)
        return np.clip(image.astype(np.float32) * factor, 0, 255).astype(image.dtype), masks


@dataclasses.dataclass
class Sequential:
    """Apply augmentations in order."""

    augmentations: list

    def __call__(self, image, masks, rng):
        for augmentation in self.augmentations:
            image, masks = augmentation(image, masks, rng)
        return image, masks


def default_augmentation():
    """Flips, +-20% scale jitter and +-20% brightness."""
    return Sequential([HorizontalFlip(0.5), ScaleJitter(0.8, 1.2), Brightness(0.8, 1.2)])
