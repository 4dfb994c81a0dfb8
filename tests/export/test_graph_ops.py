"""The in-graph preprocessing and mask pasting equal detect()'s numpy code bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import mrcnn_tf
from mrcnn_tf.inference.matterport_graph import MoldingSpec, mold_image, paste_mask
from mrcnn_tf.ops.resize_graph import resize_bilinear
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.ops.resize import resize
from mrcnn_tf.ops.masks import unmold_mask
from tests.helpers import skimage_image


@pytest.mark.parametrize("out_hw", [(170, 256), (111, 167), (510, 767), (1, 1), (300, 451)])
def test_resize_equals_skimage_on_an_image(out_hw):
    image = skimage_image("chelsea")  # 300x451
    expected = resize(image, out_hw, preserve_range=True)
    ours = resize_bilinear(tf.constant(image), *out_hw).numpy()
    np.testing.assert_array_equal(ours, expected)


def test_resize_clips_the_zero_border_to_the_input_range():
    """skimage blends the border with zeros, then clips back to the input's minimum."""
    image = np.full((4, 6, 1), 100, np.uint8)
    image[0, 0] = 180
    expected = resize(image, (9, 13), preserve_range=True)
    ours = resize_bilinear(tf.constant(image), 9, 13).numpy()
    np.testing.assert_array_equal(ours, expected)
    assert ours.min() == 100


@pytest.mark.parametrize("out_hw", [(5, 90), (37, 13), (200, 150), (28, 28)])
def test_resize_equals_skimage_on_a_soft_mask(out_hw):
    mask = np.random.default_rng(1).random((28, 28)).astype(np.float32)
    expected = resize(mask, out_hw)
    ours = resize_bilinear(tf.constant(mask[..., None]), *out_hw).numpy()[..., 0]
    np.testing.assert_array_equal(ours.astype(np.float32), expected)


def _images():
    astronaut = skimage_image("astronaut")
    return [skimage_image("chelsea"), skimage_image("camera"), astronaut[:120, :200],
            astronaut[:40, :500], np.full((30, 50, 3), 77, np.uint8)]


@pytest.mark.parametrize("dims", [(256, 256, 0), (800, 1024, 0), (128, 512, 1.5)])
def test_molding_equals_mold_inputs(dims):
    min_dim, max_dim, min_scale = dims
    config = mrcnn_tf.CocoConfig(IMAGE_MIN_DIM=min_dim, IMAGE_MAX_DIM=max_dim,
                                 IMAGE_MIN_SCALE=min_scale)
    spec = MoldingSpec.from_config(config)
    # as the export runs it: in a graph, the image's size unknown to it
    mold = tf.function(lambda image: mold_image(image, spec),
                       input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)])
    for image in _images():
        molded, meta = mold(tf.constant(image))
        expected, expected_meta, _ = mold_inputs([image], config)
        np.testing.assert_array_equal(molded.numpy(), expected[0])
        np.testing.assert_array_equal(meta.numpy(), expected_meta[0].astype(np.float32))


def test_molding_rejects_non_square_modes():
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE='pad64'.*'square'"):
        MoldingSpec.from_config(mrcnn_tf.CocoConfig(IMAGE_RESIZE_MODE="pad64", IMAGE_MIN_DIM=768))


@pytest.mark.parametrize("box", [(10, 20, 60, 90), (0, 0, 101, 151), (95, 140, 101, 151),
                                 (-5, -7, 30, 40), (80, 120, 120, 170), (30, 30, 31, 32),
                                 (40, 40, 40, 60)])
def test_paste_mask_equals_unmold_mask(box):
    mask = np.random.default_rng(2).random((28, 28)).astype(np.float32)
    image_shape = (101, 151, 3)
    expected = unmold_mask(mask, box, image_shape)
    ours = paste_mask(tf.constant(mask), tf.constant(box, tf.int32),
                      tf.constant(image_shape[:2], tf.int32)).numpy()
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours.astype(bool), expected)
