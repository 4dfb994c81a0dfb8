"""ops.resize: matterport's scikit-image resize and the same resize computed by OpenCV."""
from __future__ import annotations

import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.ops.resize import resize, resize_image, resize_opencv
from tests.helpers import skimage_image


@pytest.mark.parametrize("out_hw", [(600, 902), (150, 225), (301, 450), (1, 1), (37, 640)])
def test_opencv_resize_computes_skimages_values(out_hw):
    """Same sampling, zero border and clipping: float values within float32 rounding of
    scikit-image's float64 ones, border rows and columns included."""
    image = skimage_image("chelsea")  # 300x451
    exact = resize(image, out_hw, preserve_range=True)
    fast = resize_opencv(image, out_hw)
    assert fast.shape == exact.shape and fast.dtype == np.float32
    assert np.abs(fast - exact).max() < 0.01  # of a 0-255 range (~1e-5 but at the far edge
    # when shrinking)


def test_opencv_resize_of_a_soft_mask_thresholds_like_skimage():
    rng = np.random.default_rng(3)
    for h, w in rng.integers(3, 400, (20, 2)):
        mask = rng.random((28, 28)).astype(np.float32)
        exact = resize(mask, (h, w))
        fast = resize_opencv(mask, (h, w))
        assert fast.shape == (h, w) and np.abs(fast - exact).max() < 1e-5
        close = np.abs(exact - 0.5) < 1e-5  # the only pixels allowed to flip
        np.testing.assert_array_equal((fast >= 0.5)[~close], (exact >= 0.5)[~close])


def test_opencv_resize_clips_the_zero_border_to_the_input_range():
    image = np.full((4, 6, 1), 100, np.uint8)
    image[0, 0] = 180
    fast = resize_opencv(image, (9, 13))
    assert fast.min() == 100 and fast.shape == (9, 13, 1)
    np.testing.assert_allclose(fast, resize(image, (9, 13), preserve_range=True), atol=1e-3)


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 6])
def test_opencv_resize_takes_any_channel_count(channels):
    image = np.random.default_rng(0).random((20, 30, channels)).astype(np.float64)
    fast = resize_opencv(image, (41, 17))
    np.testing.assert_allclose(fast, resize(image, (41, 17), preserve_range=True), atol=1e-5)


@pytest.mark.parametrize("mode", ["square", "fit64"])
def test_resize_image_with_opencv_gives_skimages_image(mode):
    image = skimage_image("coffee")  # 400x600
    kwargs = dict(min_dim=256, max_dim=512, mode=mode)
    exact = resize_image(image, **kwargs)
    fast = resize_image(image, library="opencv", **kwargs)
    assert fast[0].shape == exact[0].shape and fast[0].dtype == np.uint8
    assert fast[1:] == exact[1:]  # window, scale, padding
    difference = np.abs(fast[0].astype(int) - exact[0].astype(int))
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99  # truncation of ~equal


def test_resize_library_is_validated():
    with pytest.raises(ValueError, match="RESIZE_LIBRARY.*skimage, opencv"):
        mrcnn_tf.Config(NUM_CLASSES=2, RESIZE_LIBRARY="pillow")


def test_torchvision_family_refuses_the_matterport_only_fast_options():
    with pytest.raises(ValueError, match="RESIZE_LIBRARY"):
        mrcnn_tf.TorchvisionConfig(RESIZE_LIBRARY="opencv")
    with pytest.raises(ValueError, match="LOW_PRECISION_HEADS"):
        mrcnn_tf.TorchvisionConfig(LOW_PRECISION_HEADS=True)


# --- ResizeSpec: the one description of the resize modes ---------------------------------

@pytest.mark.parametrize("mode, size, expected", [
    # scale 800/480 would make the long side 1067 > 1024: capped to 1024/640 = 1.6
    ("square", (480, 640), (1.6, 768, 1024, 1024, 1024, 128, 0)),
    ("fit64", (480, 640), (1.6, 768, 1024, 768, 1024, 0, 0)),
    ("fit64", (300, 451), (1024 / 451, 681, 1024, 704, 1024, 11, 0)),  # capped
    ("pad64", (300, 451), (800 / 300, 800, 1203, 832, 1216, 16, 6)),  # no cap
    ("none", (37, 50), (1.0, 37, 50, 37, 50, 0, 0)),
])
def test_layout_worked_examples(mode, size, expected):
    spec = mrcnn_tf.ops.resize.ResizeSpec(mode, min_dim=800, max_dim=1024)
    layout = spec.layout(np.float64(size[0]), np.float64(size[1]))
    np.testing.assert_allclose([float(v) for v in layout], expected, rtol=1e-12)
    assert layout.window == (layout.top, layout.left, layout.top + layout.height,
                             layout.left + layout.width)


def test_layout_in_tensorflow_equals_numpys():
    """The export's in-graph molding computes the same geometry with TF ops (xp=tf)."""
    import tensorflow as tf
    rng = np.random.default_rng(4)
    for mode in ("square", "pad64", "fit64", "none"):
        for h, w in rng.integers(1, 3000, (40, 2)):
            spec = mrcnn_tf.ops.resize.ResizeSpec(mode, min_dim=int(rng.choice([0, 256, 832])),
                                                  max_dim=1024, min_scale=rng.choice([0, 1.5]))
            ours = spec.layout(np.float64(h), np.float64(w))
            graph = spec.layout(tf.constant(h, tf.float64), tf.constant(w, tf.float64), xp=tf)
            assert [float(v) for v in ours] == [float(v.numpy()) for v in graph]


def test_resize_image_follows_the_layout():
    image = skimage_image("chelsea")  # 300x451
    spec = mrcnn_tf.ops.resize.ResizeSpec("fit64", min_dim=800, max_dim=1024)
    layout = spec.layout(np.float64(300), np.float64(451))
    resized, window, scale, padding = resize_image(image, min_dim=800, max_dim=1024,
                                                   mode="fit64")
    assert resized.shape == (704, 1024, 3) and scale == layout.scale
    assert window == tuple(int(v) for v in layout.window) == (11, 0, 692, 1024)
    assert padding == [(11, 12), (0, 0), (0, 0)]


def test_every_config_resize_mode_has_a_rule():
    for mode in mrcnn_tf.config.RESIZE_RULES:
        assert mrcnn_tf.ops.resize.ResizeSpec(mode).rule is mrcnn_tf.config.RESIZE_RULES[mode]
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE.*square, pad64, fit64, none, crop"):
        mrcnn_tf.Config(NUM_CLASSES=2, IMAGE_RESIZE_MODE="wide")
    with pytest.raises(ValueError, match="resize mode 'wide'.*square"):
        mrcnn_tf.ops.resize.ResizeSpec("wide")
    with pytest.raises(ValueError, match="'crop' is for training"):
        mrcnn_tf.ops.resize.ResizeSpec("crop", 128, 128).layout(np.float64(10), np.float64(10))
