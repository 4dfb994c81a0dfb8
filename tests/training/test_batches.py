"""training.batches: batches of the documented shapes; bad images are skipped, not fatal."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import tensorflow as tf

import mrcnn_tf
from mrcnn_tf.data import ShapesDataset
from mrcnn_tf.families import family_for
from mrcnn_tf.ops.anchors import anchors_for_image_shape
from mrcnn_tf.training.batches import training_dataset

CONFIG = mrcnn_tf.Config(NAME="shapes", NUM_CLASSES=4, IMAGE_MIN_DIM=64, IMAGE_MAX_DIM=64,
                         MAX_GT_INSTANCES=6, RPN_TRAIN_ANCHORS_PER_IMAGE=32,
                         RPN_ANCHOR_SCALES=(8, 16, 32, 64, 128))
INPUTS = family_for(CONFIG).training_inputs(CONFIG)


class FlakyShapes(ShapesDataset):
    """Image ids in ``broken`` fail to load."""

    broken = ()

    def load_image(self, image_id):
        if image_id in self.broken:
            raise FileNotFoundError(f"image {image_id} is gone")
        return super().load_image(image_id)


def _dataset(count=4, broken=()):
    dataset = FlakyShapes()
    dataset.broken = broken
    dataset.load_shapes(count, 64, 64, seed=5)
    dataset.prepare()
    return dataset


def test_batch_shapes_and_dtypes():
    batch = next(iter(training_dataset(_dataset(), CONFIG, INPUTS, batch_size=3, seed=0)))
    anchors = len(anchors_for_image_shape(CONFIG.IMAGE_SHAPE, CONFIG))
    expected = {"input_image": ([3, 64, 64, 3], tf.float32),
                "input_image_meta": ([3, CONFIG.IMAGE_META_SIZE], tf.float32),
                "input_gt_class_ids": ([3, 6], tf.int32), "input_gt_boxes": ([3, 6, 4], tf.float32),
                "input_gt_masks": ([3, 56, 56, 6], tf.uint8),
                "input_rpn_match": ([3, anchors], tf.int32),
                "input_rpn_bbox": ([3, 32, 4], tf.float32)}
    for name, (shape, dtype) in expected.items():
        assert batch[name].shape.as_list() == shape and batch[name].dtype == dtype, name
    match = batch["input_rpn_match"].numpy()
    assert np.all((match == 1).sum(axis=1) >= 1)  # every image has instances and positives
    assert np.all(np.isin(match, [-1, 0, 1]))
    ids = batch["input_gt_class_ids"].numpy()
    boxes = batch["input_gt_boxes"].numpy()
    assert np.all((ids > 0) == np.any(boxes != 0, axis=2))  # padding rows are zero


def test_a_broken_image_is_logged_and_skipped(caplog):
    with caplog.at_level(logging.WARNING, logger="mrcnn_tf.training.batches"):
        batches = list(training_dataset(_dataset(broken=(1,)), CONFIG, INPUTS, batch_size=2,
                                        shuffle=False, seed=0).take(3))
    assert len(batches) == 3
    assert "image 1 skipped: image 1 is gone" in caplog.text
    for batch in batches:  # image 1's meta never appears
        assert 1 not in batch["input_image_meta"].numpy()[:, 0]


def test_no_loadable_image_is_a_clear_error():
    data = training_dataset(_dataset(count=2, broken=(0, 1)), CONFIG, INPUTS, batch_size=1, seed=0)
    with pytest.raises(Exception, match="no training image could be loaded"):
        next(iter(data))


def test_same_seed_same_batches():
    from mrcnn_tf.training.augmentation import default_augmentation

    def batches(seed):
        data = training_dataset(_dataset(), CONFIG, INPUTS, batch_size=2, seed=seed,
                                augmentation=default_augmentation())
        return [{k: v.numpy() for k, v in b.items()} for b in data.take(2)]

    first, again, other = batches(3), batches(3), batches(4)
    for a, b in zip(first, again):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert any(not np.array_equal(a["input_image"], c["input_image"])
               for a, c in zip(first, other))
