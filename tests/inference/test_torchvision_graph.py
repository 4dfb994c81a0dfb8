"""inference.torchvision_graph: torchvision's transform in the graph equals the numpy one that
detect() runs (the same descriptions, ops.xp_graph), with sizes unknown to the graph."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import mrcnn_tf
from mrcnn_tf.inference.torchvision_graph import TorchvisionGraph
from mrcnn_tf.inference.torchvision_transform import TorchvisionTransform
from mrcnn_tf.ops.torchvision_masks import paste_masks_torchvision
from tests.helpers import skimage_image

CONFIG = mrcnn_tf.TorchvisionConfig(IMAGE_MIN_DIM=320, IMAGE_MAX_DIM=512)


@pytest.mark.parametrize("padded_hw", [(320, 480), (512, 352), (800, 1216), (96, 64)])
def test_graph_anchors_equal_numpy_anchors(padded_hw):
    graph = TorchvisionGraph(CONFIG)
    anchors = tf.function(graph.anchors, input_signature=[tf.TensorSpec([2], tf.int32)])
    expected = TorchvisionTransform(CONFIG).anchors(padded_hw)
    np.testing.assert_array_equal(anchors(tf.constant(padded_hw)).numpy(), expected)


@pytest.mark.parametrize("name,crop", [("chelsea", None), ("camera", (slice(0, 100), None)),
                                       ("astronaut", (slice(0, 37), slice(0, 500)))])
def test_graph_molding_equals_numpy_molding(name, crop):
    image = skimage_image(name)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if crop:
        image = image[crop[0], crop[1] or slice(None)]
    graph = TorchvisionGraph(CONFIG)
    mold = tf.function(graph.mold, input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)])
    molded, meta = mold(tf.constant(image))
    expected, expected_meta, _ = TorchvisionTransform(CONFIG).mold(image)
    assert molded.shape == expected.shape[1:]
    np.testing.assert_allclose(molded.numpy(), expected[0], atol=2e-5)
    np.testing.assert_array_equal(meta.numpy(), expected_meta[0].astype(np.float32))


@pytest.mark.parametrize("box", [(10.3, 20.7, 60.2, 90.9), (-5.5, -7.1, 30.0, 40.4),
                                 (80.0, 120.0, 130.6, 170.2), (40.2, 40.2, 40.9, 60.0)])
def test_graph_paste_equals_numpy_paste(box):
    mask = np.random.default_rng(3).random((28, 28)).astype(np.float32)
    image_hw = (101, 151)
    paste = tf.function(TorchvisionGraph(CONFIG).paste, input_signature=[
        tf.TensorSpec([28, 28], tf.float32), tf.TensorSpec([4], tf.float32),
        tf.TensorSpec([2], tf.int32)])
    ours = paste(tf.constant(mask), tf.constant(box, tf.float32), tf.constant(image_hw)).numpy()
    expected = paste_masks_torchvision(mask[None], np.array([box], np.float32), image_hw)[..., 0]
    np.testing.assert_array_equal(ours.astype(bool), expected)
