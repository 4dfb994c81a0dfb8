"""ops.resize: matterport's scikit-image resize and the OpenCV alternative."""
from __future__ import annotations

import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.ops.resize import resize, resize_image, resize_opencv


def _smooth_image(h, w, channels):
    y, x = np.mgrid[0:h, 0:w]
    planes = [127 + 100 * np.sin(x / 9.0 + c) * np.cos(y / 7.0 - c) for c in range(channels)]
    return np.stack(planes, axis=-1).astype(np.uint8)


def test_opencv_resize_is_bilinear_like_matterports_inside_the_image():
    """Away from the border (where scikit-image blends with the zero padding and OpenCV
    replicates the edge) both are the same bilinear interpolation: values within rounding."""
    image = _smooth_image(60, 90, 3)
    exact = resize(image, (150, 225), preserve_range=True).astype(np.uint8)
    fast = resize_opencv(image, (150, 225))
    assert fast.shape == (150, 225, 3) and fast.dtype == np.uint8
    inner = (slice(3, -3), slice(3, -3))
    assert np.abs(fast[inner].astype(int) - exact[inner].astype(int)).max() <= 1


def test_opencv_resize_keeps_a_single_channel_axis_and_float_dtype():
    gray = _smooth_image(40, 30, 1).astype(np.float64)
    out = resize_opencv(gray, (80, 60))
    assert out.shape == (80, 60, 1) and out.dtype == np.float32


@pytest.mark.parametrize("mode", ["square", "fit64"])
def test_resize_image_with_opencv_gives_the_same_geometry(mode):
    image = _smooth_image(300, 451, 3)
    kwargs = dict(min_dim=256, max_dim=512, mode=mode)
    exact = resize_image(image, **kwargs)
    fast = resize_image(image, library="opencv", **kwargs)
    assert fast[0].shape == exact[0].shape and fast[0].dtype == np.uint8
    assert fast[1:] == exact[1:]  # window, scale, padding
    y1, x1, y2, x2 = fast[1]
    assert (fast[0][:y1] == 0).all() and (fast[0][y2:] == 0).all()
    inner = fast[0][y1 + 3:y2 - 3, x1 + 3:x2 - 3].astype(int)
    assert np.abs(inner - exact[0][y1 + 3:y2 - 3, x1 + 3:x2 - 3].astype(int)).max() <= 1


def test_resize_library_is_validated():
    with pytest.raises(ValueError, match="IMAGE_RESIZE_LIBRARY.*skimage, opencv"):
        mrcnn_tf.Config(NUM_CLASSES=2, IMAGE_RESIZE_LIBRARY="pillow")


def test_torchvision_family_refuses_the_matterport_only_fast_options():
    with pytest.raises(ValueError, match="IMAGE_RESIZE_LIBRARY"):
        mrcnn_tf.TorchvisionConfig(IMAGE_RESIZE_LIBRARY="opencv")
    with pytest.raises(ValueError, match="LOW_PRECISION_HEADS"):
        mrcnn_tf.TorchvisionConfig(LOW_PRECISION_HEADS=True)
