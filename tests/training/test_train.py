"""MaskRCNN(mode="training").train(): a short run on 4 synthetic shape images.

One module-scoped run overfits the 4 images (ResNet-50, 128x128, all 4 images every step,
"heads", learning rate 0.005): epochs 1-2 (7 steps each), then it resumes from find_last() for
epoch 3: 21 steps in all.
It starts as matterport's "imagenet" initialization does: the backbone from a weights file
(the deterministic r50 test weights) and fresh heads (FPN, RPN and mrcnn_* layers excluded,
so they keep Keras' initializers). The test weights' own heads are random and badly scaled
for training: their RPN predicts box deltas of +-20 and their head features have a std of
~9 against BatchNorm statistics of ~1, which makes SGD diverge. The seeds make the input
batches reproducible; the float sums of multi-threaded kernels still vary a little.
"""
from __future__ import annotations


import h5py
import keras
import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.ops.boxes import box_iou
from mrcnn_tf.ops.boxes import extract_bboxes
from mrcnn_tf.training.layer_selection import layer_names
from mrcnn_tf.training.losses import LOSS_NAMES
from tests.helpers import shapes_dataset

STEPS = 7
LEARNING_RATE = 0.005


class ShapesConfig(mrcnn_tf.Config):
    NAME = "shapes"
    NUM_CLASSES = 4
    BACKBONE = "resnet50"
    IMAGES_PER_GPU = 4  # the whole training set each step: a smooth loss curve
    IMAGE_MIN_DIM = 128
    IMAGE_MAX_DIM = 128
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)
    TRAIN_ROIS_PER_IMAGE = 32
    RPN_TRAIN_ANCHORS_PER_IMAGE = 64
    POST_NMS_ROIS_TRAINING = 256
    POST_NMS_ROIS_INFERENCE = 128
    MAX_GT_INSTANCES = 5
    STEPS_PER_EPOCH = STEPS
    VALIDATION_STEPS = 0


class StepLosses(keras.callbacks.Callback):
    """Per-step losses, recovered from the running means Keras reports within an epoch."""

    def __init__(self):
        super().__init__()
        self.steps = []
        self._epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = []

    def on_train_batch_end(self, batch, logs=None):
        means = {k: float(v) for k, v in logs.items()}
        n = len(self._epoch)
        previous = self._epoch[-1] if self._epoch else None
        self._epoch.append(means)
        self.steps.append({k: (n + 1) * v - n * previous[k] if previous else v
                           for k, v in means.items()})


@pytest.fixture(scope="module")
def shapes():
    return shapes_dataset(4, 128, 128, seed=0)


@pytest.fixture(scope="module")
def run(shapes, r50_weights, tmp_path_factory):
    keras.utils.set_random_seed(0)
    model_dir = tmp_path_factory.mktemp("logs")
    model = mrcnn_tf.MaskRCNN(mode="training", config=ShapesConfig(), model_dir=model_dir)
    model.load_weights(r50_weights, exclude=layer_names(model.keras_model, "heads"))
    backbone_before = model.keras_model.get_layer("res3a_branch2a").get_weights()[0].copy()
    losses = StepLosses()
    model.train(shapes, shapes, learning_rate=LEARNING_RATE, epochs=2, layers="heads",
                custom_callbacks=[losses], verbose=0, seed=0)
    first_folder = model.log_dir
    resumed_from = model.find_last()
    model.load_weights(resumed_from)
    resumed_epoch = model.epoch
    model.train(shapes, None, learning_rate=LEARNING_RATE, epochs=3, layers="heads",
                custom_callbacks=[losses], verbose=0, seed=1)
    return {"model": model, "steps": losses.steps, "first_folder": first_folder,
            "resumed_from": resumed_from, "resumed_epoch": resumed_epoch,
            "backbone_before": backbone_before}


def test_every_loss_is_finite(run):
    assert len(run["steps"]) == 3 * STEPS
    for step in run["steps"]:
        for name in ("loss", "l2_loss") + LOSS_NAMES:
            assert np.isfinite(step[name]), (name, step)


def test_total_loss_falls(run):
    """The first step's loss (the untrained model's) against the mean of the last ten steps.
    Measured on an AMD EPYC with seeds 0, 1, 2: falls by 62 %, 75 %, 85 %. The bound (30 %)
    leaves twice the worst measured margin for other CPUs' rounding and thread timing, and
    still fails a model that does not learn."""
    totals = [step["loss"] for step in run["steps"]]
    start, end = totals[0], np.mean(totals[-10:])
    assert end <= 0.7 * start, f"loss {start:.2f} -> {end:.2f}: {np.round(totals, 2)}"
    for name in LOSS_NAMES:  # each part learns, not only the easy RPN classification
        values = [step[name] for step in run["steps"] if step[name] > 0]  # 0: no positives
        assert np.mean(values[-10:]) < np.mean(values[:5]), (name, np.round(values, 3))


def test_heads_training_leaves_the_backbone_alone(run):
    after = run["model"].keras_model.get_layer("res3a_branch2a").get_weights()[0]
    np.testing.assert_array_equal(after, run["backbone_before"])


def test_checkpoints_per_epoch_and_resume(run):
    model, folder = run["model"], run["first_folder"]
    assert run["resumed_from"].endswith("mask_rcnn_shapes_0002.h5")
    assert run["resumed_epoch"] == 2 and model.epoch == 3
    assert model.log_dir == folder  # resuming continued the same folder
    assert model.find_last().endswith("mask_rcnn_shapes_0003.h5")
    assert model.last_checkpoint == model.find_last()
    with h5py.File(model.find_last(), "r") as f:  # matterport's layout
        names = [n.decode() for n in f.attrs["layer_names"]]
        assert "rpn_model" in names and "mrcnn_mask" in names
        assert "rpn_conv_shared/kernel:0" in f["rpn_model"].attrs["weight_names"][0].decode()


@pytest.fixture(scope="module")
def trained_inference_model(run):
    """An inference model with the last checkpoint training wrote."""
    config = ShapesConfig(IMAGES_PER_GPU=1, DETECTION_MIN_CONFIDENCE=0.5)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    report = model.load_weights(run["model"].find_last())
    assert not report.missing and not report.unused
    return model


def test_trained_weights_load_into_an_inference_model(trained_inference_model, shapes):
    result = trained_inference_model.detect([shapes.load_image(shapes.image_ids[0])])[0]
    assert result["masks"].shape[:2] == (128, 128)
    assert len(result["rois"]) == len(result["class_ids"]) == result["masks"].shape[2]


def test_trained_weights_detect_the_training_shapes(trained_inference_model, shapes):
    """Detections are kept from a confidence of 0.5 (instead of 0.7): 21 steps of head
    training on random backbone features are not calibrated. Measured on an AMD EPYC: 7, 9
    and 8 of the 9 shapes found (seeds 0, 1, 2). The bound (a third) leaves room for other
    CPUs' rounding and still fails heads that learned nothing."""
    found = total = 0
    for image_id in shapes.image_ids:
        masks, class_ids = shapes.load_mask(image_id)
        result = trained_inference_model.detect([shapes.load_image(image_id)])[0]
        ious = box_iou(extract_bboxes(masks), result["rois"])
        for i, class_id in enumerate(class_ids):
            same_class = result["class_ids"] == class_id
            total += 1
            found += bool(np.any(ious[i][same_class] >= 0.5)) if same_class.any() else 0
    assert found >= total / 3, f"{found} of {total} shapes found"
