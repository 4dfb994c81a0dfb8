"""training.torchvision_inputs and the torchvision family's batches: torchvision's resize and
normalization, padding to one S x S square, boxes and masks that agree, pixel anchors."""
from __future__ import annotations

import numpy as np

import mrcnn_tf
from mrcnn_tf.families import family_for
from mrcnn_tf.layers.torchvision_targets import TorchvisionDetectionTargets
from mrcnn_tf.ops.torchvision_resize import resize_bilinear
from mrcnn_tf.training.batches import training_dataset
from mrcnn_tf.training.torchvision_inputs import load_image_gt_torchvision, training_anchors
from tests.helpers import shapes_dataset

CONFIG = mrcnn_tf.TorchvisionConfig(NAME="tv", NUM_CLASSES=4, IMAGE_MIN_DIM=96,
                                    IMAGE_MAX_DIM=120, USE_MINI_MASK=False, MAX_GT_INSTANCES=6,
                                    RPN_TRAIN_ANCHORS_PER_IMAGE=32)


def test_sample_is_resized_normalized_and_padded_to_the_square():
    dataset = shapes_dataset(1, 100, 150, seed=3)
    sample = load_image_gt_torchvision(dataset, CONFIG, 0)
    # scale min(96 / 100, 120 / 150) = 0.8: 80 x 120, padded to 128 x 128 (120 rounded up to 32)
    assert sample["image"].shape == (128, 128, 3)
    window = sample["image_meta"][7:11]
    np.testing.assert_array_equal(window, [0, 0, 80, 120])
    assert sample["image_meta"][11] == np.float32(0.8)
    np.testing.assert_array_equal(sample["image"][80:], 0)
    np.testing.assert_array_equal(sample["image"][:, 120:], 0)
    image = dataset.load_image(0).astype(np.float32)
    normalized = (image - CONFIG.MEAN_PIXEL.astype(np.float32)) / CONFIG.PIXEL_STD.astype(
        np.float32)
    np.testing.assert_allclose(sample["image"][:80, :120], resize_bilinear(normalized, 80, 120),
                               atol=1e-4)
    masks, boxes = sample["masks"], sample["boxes"]
    assert masks.shape[:2] == (128, 128) and masks.shape[-1] == len(sample["class_ids"]) > 0
    for (y1, x1, y2, x2), mask in zip(boxes, np.moveaxis(masks, -1, 0)):
        rows, cols = np.nonzero(mask)
        assert (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) == (y1, x1, y2, x2)
        assert y2 <= 80 and x2 <= 120


def test_batches_have_the_square_shape_and_one_objectness_label_per_anchor():
    anchors = training_anchors(CONFIG)
    # 128: levels 32, 16, 8, 4, 2 cells a side, 3 ratios
    assert anchors.shape == ((32 ** 2 + 16 ** 2 + 8 ** 2 + 4 ** 2 + 2 ** 2) * 3, 4)
    batch = next(iter(training_dataset(shapes_dataset(3, 100, 150, seed=4), CONFIG,
                                       family_for(CONFIG).training_inputs(CONFIG),
                                       batch_size=2, seed=0)))
    assert batch["input_image"].shape == (2, 128, 128, 3)
    assert batch["input_gt_masks"].shape == (2, 128, 128, 6)
    assert batch["input_rpn_match"].shape == (2, len(anchors))
    assert batch["input_rpn_bbox"].shape == (2, 32, 4)
    assert (batch["input_rpn_match"].numpy() == 1).any()


def test_targets_layer_config_round_trip():
    layer = TorchvisionDetectionTargets(rois_per_image=16, positive_ratio=0.25,
                                        bbox_std_dev=[0.1, 0.1, 0.2, 0.2], mask_shape=[28, 28],
                                        mini_mask=True, name="proposal_targets")
    config = layer.get_config()
    again = TorchvisionDetectionTargets.from_config(config)
    for field in ("rois_per_image", "positive_ratio", "bbox_std_dev", "mask_shape", "mini_mask"):
        assert getattr(again, field) == getattr(layer, field) == config[field]
