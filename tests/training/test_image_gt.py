"""training.image_gt and training.augmentation: image, boxes and masks stay together."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.data import ShapesDataset
from mrcnn_tf.training import augmentation as aug
from mrcnn_tf.ops.boxes import extract_bboxes
from mrcnn_tf.training.image_gt import load_image_gt, pad_instances
from tests.helpers import shapes_dataset


@pytest.fixture(scope="module")
def shapes():
    return shapes_dataset(6, 96, 128, seed=3)


def _config(**overrides):
    fields = dict(NAME="shapes", NUM_CLASSES=4, IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128,
                  USE_MINI_MASK=False)
    return mrcnn_tf.Config(**{**fields, **overrides})


def _shape_colors(dataset, image_id):
    return [np.array(color) for _, color, _ in dataset.image_info[image_id]["shapes"]]


def _color_agreement(image, masks, colors, erode=0):
    """Share of each mask's pixels (less an ``erode``-pixel border, where resampling blends
    colors) that have its shape's color."""
    shares = []
    for i, color in enumerate(colors):
        mask = masks[..., i].astype(np.uint8)
        if erode:
            mask = cv2.erode(mask, np.ones((2 * erode + 1,) * 2, np.uint8))
        if mask.any():
            shares.append(np.mean(np.all(np.abs(image[mask > 0] - color) <= 2, axis=-1)))
    return shares


def test_load_image_gt_square_mode(shapes):
    config = _config()
    sample = load_image_gt(shapes, config, 0)
    assert sample["image"].shape == (128, 128, 3) and sample["image"].dtype == np.float32
    masks, boxes = sample["masks"], sample["boxes"]
    assert masks.shape[:2] == (128, 128) and len(boxes) == masks.shape[-1]
    np.testing.assert_array_equal(boxes, extract_bboxes(masks))
    meta = sample["image_meta"]
    np.testing.assert_array_equal(meta[1:4], [96, 128, 3])          # original shape
    np.testing.assert_array_equal(meta[7:11], [16, 0, 112, 128])    # window inside padding
    np.testing.assert_array_equal(meta[12:], [1, 1, 1, 1])          # active classes
    image = sample["image"] + config.MEAN_PIXEL
    agreement = _color_agreement(image, masks, _shape_colors(shapes, 0))
    assert min(agreement) > 0.97


def test_mini_masks_cover_the_boxes(shapes):
    sample = load_image_gt(shapes, _config(USE_MINI_MASK=True), 1)
    assert sample["masks"].shape[:2] == (56, 56)
    assert all(sample["masks"][..., i].mean() > 0.3 for i in range(sample["masks"].shape[-1]))


@pytest.mark.parametrize("augmentation", [aug.HorizontalFlip(1.0), aug.VerticalFlip(1.0),
                                          aug.ScaleJitter(0.7, 1.3),
                                          aug.Sequential([aug.HorizontalFlip(0.5),
                                                          aug.ScaleJitter(0.8, 1.2)])])
def test_geometric_augmentation_moves_image_and_masks_together(shapes, augmentation):
    for image_id in range(4):
        image, masks = shapes.load_image(image_id), shapes.load_mask(image_id)[0]
        moved_image, moved_masks = augmentation(image, masks, np.random.default_rng(image_id))
        assert moved_image.shape == image.shape and moved_masks.shape == masks.shape
        agreement = _color_agreement(moved_image.astype(np.float64), moved_masks,
                                     _shape_colors(shapes, image_id), erode=1)
        assert min(agreement, default=1.0) > 0.98
    if isinstance(augmentation, aug.HorizontalFlip):
        np.testing.assert_array_equal(moved_masks, masks[:, ::-1])


def test_augmented_samples_take_boxes_from_augmented_masks(shapes):
    config = _config()
    for image_id in range(4):
        sample = load_image_gt(shapes, config, image_id, augmentation=aug.ScaleJitter(1.2, 1.5),
                               rng=np.random.default_rng(image_id))
        assert sample["masks"].shape[-1] == len(sample["class_ids"]) == len(sample["boxes"])
        assert all(sample["masks"][..., i].any() for i in range(sample["masks"].shape[-1]))
        np.testing.assert_array_equal(sample["boxes"], extract_bboxes(sample["masks"]))


def test_brightness_changes_pixels_not_masks(shapes):
    config = _config()
    plain = load_image_gt(shapes, config, 2)
    bright = load_image_gt(shapes, config, 2, augmentation=aug.Brightness(1.5, 1.5))
    np.testing.assert_array_equal(plain["masks"], bright["masks"])
    assert (bright["image"] + config.MEAN_PIXEL).mean() > (plain["image"] + config.MEAN_PIXEL).mean()


def test_crop_mode_gives_min_dim_squares(shapes):
    config = _config(IMAGE_RESIZE_MODE="crop", IMAGE_MIN_DIM=64, IMAGE_MAX_DIM=128)
    sample = load_image_gt(shapes, config, 0, rng=np.random.default_rng(0))
    assert sample["image"].shape == (64, 64, 3)
    assert sample["masks"].shape[:2] == (64, 64)


def test_training_rejects_variable_size_modes(shapes):
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE"):
        load_image_gt(shapes, _config(IMAGE_RESIZE_MODE="pad64", IMAGE_MIN_DIM=64), 0)


def test_bad_load_mask_is_named(shapes):
    class Broken(ShapesDataset):
        def load_mask(self, image_id):
            masks, ids = super().load_mask(image_id)
            return masks, ids[:-1]
    broken = Broken()
    broken.load_shapes(1, 64, 64, seed=0, max_shapes=1)
    broken.prepare()
    with pytest.raises(ValueError, match="image 0: load_mask returned 1 masks but 0 class ids"):
        load_image_gt(broken, _config(), 0)


def test_pad_instances_subsamples_and_pads():
    sample = {"class_ids": np.arange(1, 6, dtype=np.int32), "boxes": np.ones([5, 4], np.int32),
              "masks": np.ones([4, 4, 5], bool)}
    small = pad_instances(sample, 3, np.random.default_rng(0))
    assert small["class_ids"].shape == (3,) and set(small["class_ids"]) <= set(range(1, 6))
    padded = pad_instances(sample, 8, np.random.default_rng(0))
    np.testing.assert_array_equal(padded["class_ids"], [1, 2, 3, 4, 5, 0, 0, 0])
    assert padded["boxes"].dtype == np.float32 and padded["masks"].shape == (4, 4, 8)
    assert not padded["masks"][..., 5:].any()
