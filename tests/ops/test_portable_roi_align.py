"""ops.portable_roi_align: equal to tf.image.crop_and_resize and to roi_align_torchvision, tied
to hand-computed values and to a per-sample numpy loop of torchvision's RoIAlign rules, and
traced without CropAndResize or loops."""
import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.ops.portable_roi_align import (crop_and_resize_portable,
                                             pyramid_crop_and_resize_portable,
                                             pyramid_roi_align_torchvision_portable,
                                             roi_align_torchvision_portable)
from mrcnn_tf.ops.torchvision_roi_align import roi_align_torchvision
from tests.ops.test_torchvision_roi_align import roi_align_reference  # torchvision's rules, numpy


def _ramp():
    """1x3x3x2: channel 0 is 3y + x, channel 1 is y * x; bilinear interpolation reproduces
    both exactly, so a sample at (y, x) reads (3y + x, y * x)."""
    y, x = np.meshgrid(np.arange(3.0), np.arange(3.0), indexing="ij")
    return np.stack([3 * y + x, y * x], axis=-1)[None].astype(np.float32)


def _at(y, x):
    return [3 * y + x, y * x]


def _close(actual, expected, value_range):
    """Equal within 1e-5 of the feature map's value range; returns the max abs difference."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5 * value_range)
    return float(np.max(np.abs(actual - expected), initial=0.0))


def test_crop_and_resize_worked_example():
    boxes = np.array([[0.125, 0.375, 0.875, 0.625],   # y 0.25, 1.75; x 0.75, 1.25
                      [-0.5, 0.0, 0.5, 1.0],          # y -1 (outside), 0, 1; x 0, 2
                      [0.1, 0.2, 0.6, 0.5]],          # crop 1: centre y 0.7, x 0.7
                     np.float32)
    ramp, index = _ramp(), np.zeros(1, np.int32)
    first = crop_and_resize_portable(ramp, boxes[:1], index, (2, 2))
    np.testing.assert_allclose(first[0], [[_at(0.25, 0.75), _at(0.25, 1.25)],
                                          [_at(1.75, 0.75), _at(1.75, 1.25)]], atol=1e-6)
    second = crop_and_resize_portable(ramp, boxes[1:2], index, (3, 2), extrapolation_value=-1.0)
    np.testing.assert_allclose(second[0], [[[-1, -1], [-1, -1]],
                                           [_at(0, 0), _at(0, 2)],
                                           [_at(1, 0), _at(1, 2)]], atol=1e-6)
    third = crop_and_resize_portable(ramp, boxes[2:], index, (1, 1))
    np.testing.assert_allclose(third[0], [[_at(0.7, 0.7)]], atol=1e-6)
    # and TensorFlow agrees with the hand values
    for box, size, fill, ours in [(boxes[:1], (2, 2), 0.0, first),
                                  (boxes[1:2], (3, 2), -1.0, second),
                                  (boxes[2:], (1, 1), 0.0, third)]:
        theirs = tf.image.crop_and_resize(ramp, box, index, size, extrapolation_value=fill)
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_roi_align_worked_example():
    ramp = _ramp()
    boxes = np.array([[0.0, 0.0, 2.0, 2.0],     # bins [0, 1], [1, 2]: samples 0.25, 0.75 | ...
                      [1.0, 1.0, 1.2, 1.2],     # side 0.2 -> 1: samples 1.25, 1.75
                      [2.0, 2.0, 4.5, 4.5]],    # samples 2.625 (clamped to 2), 3.875 (> H: zero)
                     np.float32)
    out = roi_align_torchvision_portable(ramp, boxes[:1], np.zeros(1, np.int32), spatial_scale=1.0,
                                         output_size=2, sampling_ratio=2).numpy()
    # both channels are bilinear, so the mean over a bin's samples reads its centre
    np.testing.assert_allclose(out[0], [[_at(0.5, 0.5), _at(0.5, 1.5)],
                                        [_at(1.5, 0.5), _at(1.5, 1.5)]], atol=1e-6)
    out = roi_align_torchvision_portable(ramp, boxes[1:], np.zeros(2, np.int32), spatial_scale=1.0,
                                         output_size=1, sampling_ratio=2).numpy()
    np.testing.assert_allclose(out[0, 0, 0], _at(1.5, 1.5), atol=1e-6)
    # one of four samples valid, read at (2, 2): (8, 4) / 4
    np.testing.assert_allclose(out[1, 0, 0], [2.0, 1.0], atol=1e-6)
    # a box in image pixels at scale 1/2: (0, 0, 4, 4) -> (0, 0, 2, 2) as the first box
    half = roi_align_torchvision_portable(ramp, boxes[:1] * 2, np.zeros(1, np.int32),
                                          spatial_scale=0.5, output_size=2, sampling_ratio=2)
    np.testing.assert_allclose(half[0, 1, 0], _at(1.5, 0.5), atol=1e-6)


def _random_boxes(rng, count, low, high, tiny):
    """[count, 4] (y1, x1, y2, x2) with corners in [low, high] (partly outside when low < 0
    or high beyond the image), and the last `tiny` boxes smaller than a pixel."""
    corners = rng.uniform(low, high, (count, 2, 2))
    boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)
    sides = rng.uniform(0.0, 0.05 * (high - low) / 10, (tiny, 2))
    boxes[count - tiny:, 2:] = boxes[count - tiny:, :2] + sides
    return boxes.astype(np.float32)


@pytest.mark.parametrize("height,width,channels,crop", [
    (5, 7, 3, (1, 1)), (16, 11, 4, (7, 7)), (9, 23, 2, (14, 14)), (12, 12, 5, (7, 14)),
    (1, 6, 2, (7, 1))])
def test_crop_and_resize_matches_tensorflow(height, width, channels, crop):
    rng = np.random.default_rng(height * 100 + width)
    feature = rng.standard_normal((2, height, width, channels)).astype(np.float32) * 10.0
    boxes = _random_boxes(rng, 40, -0.4, 1.4, tiny=8)
    boxes[:5] = boxes[:5, [2, 3, 0, 1]]  # flipped boxes crop mirrored
    boxes[5] = [0.0, 0.0, 1.0, 1.0]       # the whole image, edges exactly on the last pixel
    indices = rng.integers(0, 2, 40).astype(np.int32)
    for fill in (0.0, -3.5):
        ours = crop_and_resize_portable(feature, boxes, indices, crop, extrapolation_value=fill)
        theirs = tf.image.crop_and_resize(feature, boxes, indices, crop,
                                          extrapolation_value=fill)
        diff = _close(ours, theirs, np.ptp(feature))
        print(f"crop_and_resize {height}x{width}x{channels} {crop}: max abs diff {diff:.3g}")
    assert np.any(np.asarray(theirs) == -3.5)  # some samples fell outside


@pytest.mark.parametrize("scale,size", [(1 / 4, 7), (1 / 4, 14), (1 / 32, 7), (1 / 32, 14)])
def test_roi_align_matches_roi_align_torchvision(scale, size):
    rng = np.random.default_rng(int(1 / scale) + size)
    height, width = (13, 10) if scale == 1 / 4 else (6, 9)
    feature = rng.standard_normal((2, height, width, 3)).astype(np.float32) * 10.0
    image_h, image_w = height / scale, width / scale
    boxes = _random_boxes(rng, 50, -0.3 * image_h, 1.3 * image_h, tiny=8)
    boxes[:, [1, 3]] *= image_w / image_h
    indices = rng.integers(0, 2, 50).astype(np.int32)
    ours = roi_align_torchvision_portable(feature, boxes, indices, spatial_scale=scale,
                                          output_size=size, sampling_ratio=2)
    theirs = roi_align_torchvision(feature, boxes, indices, spatial_scale=scale,
                                   output_size=size, sampling_ratio=2)
    diff = _close(ours, theirs, np.ptp(feature))
    print(f"roi_align scale {scale} size {size}: max abs diff {diff:.3g}")
    assert np.any(np.asarray(theirs) == 0.0)  # some boxes reach beyond the map


@pytest.mark.parametrize("scale,size,ratio", [(0.5, 3, 2), (0.25, 2, 3), (1.0, 4, 1)])
def test_roi_align_matches_numpy_loop(scale, size, ratio):
    rng = np.random.default_rng(7)
    feature = rng.standard_normal((2, 6, 8, 2)).astype(np.float32)
    boxes = np.array([[2.0, 3.0, 9.0, 13.0],       # inside
                      [-7.0, -9.0, 5.0, 3.0],      # over the top-left corner
                      [8.0, 12.0, 30.0, 44.0],     # over the bottom-right, samples beyond
                      [5.0, 5.0, 5.3, 5.1],        # smaller than a feature pixel
                      [-3.7, 25.0, 3.0, 33.9]],    # samples in [-1, 0) and (W - 1, W]
                     np.float32) / scale * 0.5
    indices = np.array([0, 1, 1, 0, 1], np.int32)
    ours = roi_align_torchvision_portable(feature, boxes, indices, spatial_scale=scale,
                                          output_size=size, sampling_ratio=ratio).numpy()
    expected = np.stack([roi_align_reference(feature[i].astype(np.float64), box, scale, size, ratio)
                         for box, i in zip(boxes, indices)])
    diff = _close(ours, expected, np.ptp(feature))
    print(f"numpy loop scale {scale} size {size} ratio {ratio}: max abs diff {diff:.3g}")


LOOP_OPS = {"While", "StatelessWhile", "For", "If", "StatelessIf", "Enter", "Exit",
            "LoopCond", "NextIteration", "Switch", "Merge", "TensorListReserve",
            "TensorListFromTensor", "TensorArrayV3", "CropAndResize"}


def test_traced_with_unknown_shapes_without_crop_and_resize_or_loops():
    spec = [tf.TensorSpec([None, None, None, None], tf.float32),
            tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([None], tf.int32)]

    @tf.function(input_signature=spec)
    def crops(feature, boxes, indices):
        return crop_and_resize_portable(feature, boxes, indices, (7, 5), extrapolation_value=1.0)

    @tf.function(input_signature=spec)
    def pooled(feature, boxes, indices):
        return roi_align_torchvision_portable(feature, boxes, indices, spatial_scale=0.25,
                                              output_size=7, sampling_ratio=2)

    rng = np.random.default_rng(3)
    feature = rng.standard_normal((2, 9, 12, 3)).astype(np.float32)
    for function, boxes, reference in [
            (crops, _random_boxes(rng, 6, -0.3, 1.3, tiny=1),
             lambda b, i: tf.image.crop_and_resize(feature, b, i, (7, 5), extrapolation_value=1.0)),
            (pooled, _random_boxes(rng, 6, -10.0, 60.0, tiny=1),
             lambda b, i: roi_align_torchvision(feature, b, i, spatial_scale=0.25, output_size=7,
                                                sampling_ratio=2))]:
        concrete = function.get_concrete_function()
        op_types = {op.type for op in concrete.graph.get_operations()}
        assert "GatherV2" in op_types
        assert not op_types & LOOP_OPS, op_types & LOOP_OPS
        indices = np.array([0, 1, 1, 0, 1, 0], np.int32)
        _close(concrete(tf.constant(feature), tf.constant(boxes), tf.constant(indices)),
               reference(boxes, indices), np.ptp(feature))
        # no boxes at all
        empty = concrete(tf.constant(feature), tf.zeros([0, 4]), tf.zeros([0], tf.int32))
        assert empty.shape == (0, 7, 5 if function is crops else 7, 3)


def _pyramid(rng, batch, sizes, channels):
    """Feature maps [batch, h, w, channels] for (h, w) in sizes, values of range ~20."""
    return [rng.standard_normal((batch, h, w, channels)).astype(np.float32) * 10.0
            for h, w in sizes]


PYRAMID_SIZES = [(32, 24), (16, 12), (8, 6), (4, 3)]


@pytest.mark.parametrize("traced", [False, True])
def test_pyramid_crop_is_each_box_on_its_own_level(traced):
    """pyramid_crop_and_resize_portable equals tf.image.crop_and_resize of each box on the
    level it names; traced: inside a tf.function with every size unknown."""
    rng = np.random.default_rng(11)
    maps = _pyramid(rng, 2, PYRAMID_SIZES, 3)
    boxes = _random_boxes(rng, 60, -0.3, 1.3, tiny=6)
    indices = rng.integers(0, 2, 60).astype(np.int32)
    levels = rng.integers(0, 4, 60).astype(np.int32)
    function = pyramid_crop_and_resize_portable
    if traced:
        unknown = tf.TensorSpec([None, None, None, None], tf.float32)
        function = tf.function(
            lambda m, b, i, l: pyramid_crop_and_resize_portable(m, b, i, l, (7, 7)),
            input_signature=[[unknown] * 4, tf.TensorSpec([None, 4], tf.float32),
                             tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)])
        ours = function([tf.constant(m) for m in maps], boxes, indices, levels)
    else:
        ours = function(maps, boxes, indices, levels, (7, 7))
    theirs = np.stack([tf.image.crop_and_resize(maps[level], boxes[k:k + 1], indices[k:k + 1],
                                                (7, 7))[0] for k, level in enumerate(levels)])
    _close(ours, theirs, 40.0)
    assert set(levels) == {0, 1, 2, 3}


def test_pyramid_roi_align_is_each_box_on_its_own_level():
    rng = np.random.default_rng(12)
    maps = _pyramid(rng, 2, PYRAMID_SIZES, 3)
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    boxes = _random_boxes(rng, 60, -20.0, 140.0, tiny=6)
    indices = rng.integers(0, 2, 60).astype(np.int32)
    levels = rng.integers(0, 4, 60).astype(np.int32)
    ours = pyramid_roi_align_torchvision_portable(maps, boxes, indices, levels,
                                                  spatial_scales=scales, output_size=7,
                                                  sampling_ratio=2)
    theirs = np.stack([roi_align_torchvision(maps[level], boxes[k:k + 1], indices[k:k + 1],
                                             spatial_scale=scales[level], output_size=7,
                                             sampling_ratio=2)[0]
                       for k, level in enumerate(levels)])
    _close(ours, theirs, 40.0)
