"""MaskRCNN.detect input handling: dtypes, channels, bad inputs, empty results, no retracing.

Every image costs one forward pass (several seconds on CPU), so the variants are compared with
one reference result and bad inputs are checked before any pass runs.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

import mrcnn_tf


def _gray_horse():
    """skimage's horse silhouette as uint8 [210, 256]: the long side is the model's 256, so no
    resizing happens and every dtype reaches the model with the same pixel values."""
    horse = skimage.data.horse().astype(np.uint8) * 255   # bool [328, 400]
    return cv2.resize(horse, (256, 210), interpolation=cv2.INTER_AREA)


GRAY = _gray_horse()
RGB = np.stack([GRAY] * 3, axis=-1)


def _assert_same_detections(ours, reference, what):
    assert ours["class_ids"].tolist() == reference["class_ids"].tolist(), what
    assert ours["rois"].shape == reference["rois"].shape, what
    assert np.abs(ours["rois"] - reference["rois"]).max(initial=0) <= 1, what
    np.testing.assert_allclose(ours["scores"], reference["scores"], atol=1e-4, err_msg=what)
    assert ours["masks"].shape == reference["masks"].shape, what
    for i in range(ours["masks"].shape[-1]):
        a, b = ours["masks"][..., i], reference["masks"][..., i]
        assert (a ^ b).sum() <= 0.01 * max((a | b).sum(), 1), f"{what}: mask {i}"


def _assert_result_types(result, hw):
    n = len(result["class_ids"])
    assert result["rois"].dtype == np.int32 and result["rois"].shape == (n, 4)
    assert result["class_ids"].dtype == np.int32 and result["class_ids"].shape == (n,)
    assert result["scores"].dtype == np.float32 and result["scores"].shape == (n,)
    assert result["masks"].dtype == bool and result["masks"].shape == tuple(hw) + (n,)


@pytest.fixture(scope="module")
def reference(small_model):
    result = small_model.detect([RGB])[0]
    assert len(result["class_ids"]) >= 5, "the example needs detections to compare"
    return result


def test_uint8_result_format(reference):
    _assert_result_types(reference, RGB.shape[:2])
    assert (reference["rois"][:, 2:] <= RGB.shape[:2]).all() and (reference["rois"] >= 0).all()


def test_dtypes_give_the_same_detections_and_batch_larger_than_batch_size(small_model, reference):
    assert small_model.config.BATCH_SIZE == 1
    variants = {"uint16": RGB.astype(np.uint16) * 257, "float 0-1": RGB / 255.0,
                "float 0-255": RGB.astype(np.float32)}
    results = small_model.detect(list(variants.values()))
    assert len(results) == 3
    for what, result in zip(variants, results):
        _assert_result_types(result, RGB.shape[:2])
        _assert_same_detections(result, reference, what)


def test_grayscale_and_rgba_equal_rgb(small_model, reference):
    rgba = np.concatenate([RGB, np.full(GRAY.shape + (1,), 255, np.uint8)], axis=-1)
    variants = {"gray [H, W]": GRAY, "gray [H, W, 1]": GRAY[:, :, None], "RGBA": rgba}
    results = small_model.detect(list(variants.values()))
    for what, result in zip(variants, results):
        _assert_same_detections(result, reference, what)
    assert small_model._detector._predict.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("bad, words", [
    (np.zeros((0, 10, 3), np.uint8), "empty"),
    (np.zeros((10, 0), np.uint8), "empty"),
    (np.full((8, 8, 3), np.nan, np.float32), "NaN"),
    (np.zeros((8, 8, 2), np.uint8), "shape"),
    (np.zeros((1, 8, 8, 3), np.uint8), "shape"),
    (None, "None"),
    (np.full((8, 8, 3), "x"), "dtype"),
])
def test_bad_image_error_names_its_index(small_model, bad, words):
    with pytest.raises(ValueError) as err:
        small_model.detect([RGB, bad])
    message = str(err.value)
    assert "image[1]" in message and words in message and "\n" not in message


@pytest.fixture(scope="module")
def strict_pad64_model(r50_weights):
    """Its own small model: pad64 (molded sizes follow the image), two images per batch, and a
    confidence threshold no detection reaches."""
    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=2, IMAGE_RESIZE_MODE="pad64",
                                 IMAGE_MIN_DIM=64, DETECTION_MIN_CONFIDENCE=1.0,
                                 POST_NMS_ROIS_INFERENCE=64, DETECTION_MAX_INSTANCES=8)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(r50_weights)
    return model


def test_no_detections_gives_empty_arrays(strict_pad64_model):
    results = strict_pad64_model.detect([np.zeros((64, 80, 3), np.uint8)])
    assert len(results) == 1
    _assert_result_types(results[0], (64, 80))
    assert len(results[0]["class_ids"]) == 0


def test_sizes_and_batch_sizes_do_not_retrace(strict_pad64_model):
    predict = strict_pad64_model._detector._predict
    images = [np.zeros((64, 64, 3), np.uint8)] * 3 + [np.zeros((70, 130, 3), np.uint8)]
    results = strict_pad64_model.detect(images)   # batches [2, 1] of 64x64 and [1] of 128x192
    assert [r["masks"].shape[:2] for r in results] == [(64, 64)] * 3 + [(70, 130)]
    assert predict.experimental_get_tracing_count() == 1
    strict_pad64_model.detect([np.zeros((200, 100, 3), np.uint8)])   # molds to 256x128
    assert predict.experimental_get_tracing_count() == 1


def test_none_mode_size_not_multiple_of_64_is_a_clear_error(strict_pad64_model):
    config = strict_pad64_model.config
    config.IMAGE_RESIZE_MODE = "none"   # this module's own model; restored below
    try:
        with pytest.raises(ValueError, match=r"image\[1\].*multiple of 64"):
            strict_pad64_model.detect([np.zeros((64, 64, 3), np.uint8),
                                       np.zeros((64, 100, 3), np.uint8)])
    finally:
        config.IMAGE_RESIZE_MODE = "pad64"


def test_image_channel_count_other_than_three():
    """Config accepts IMAGE_CHANNEL_COUNT=4 (as matterport does for non-RGB data): detect must
    then either take 4-channel images, or refuse them with a clear error naming the field."""
    config = mrcnn_tf.Config(NUM_CLASSES=2, BACKBONE="resnet50", IMAGES_PER_GPU=1,
                             IMAGE_MIN_DIM=64, IMAGE_MAX_DIM=64, IMAGE_CHANNEL_COUNT=4,
                             MEAN_PIXEL=[1, 2, 3, 4], POST_NMS_ROIS_INFERENCE=16,
                             DETECTION_MAX_INSTANCES=4)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    try:
        results = model.detect([np.zeros((64, 64, 4), np.uint8)])
    except ValueError as err:
        assert "IMAGE_CHANNEL_COUNT" in str(err) and "image[0]" in str(err), str(err)
    else:
        assert results[0]["masks"].shape[:2] == (64, 64)
