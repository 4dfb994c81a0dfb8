"""ops.torchvision_resize: torchvision's output-size rule and PyTorch's bilinear sampling."""
import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.ops.torchvision_resize import bilinear_matrix, resize_bilinear, resized_shape

# (input size) -> size torchvision 0.29's GeneralizedRCNNTransform gives (min 800, max 1333)
TORCHVISION_SIZES = {(512, 512): (800, 800), (400, 600): (800, 1200), (300, 451): (800, 1202),
                     (100, 1000): (133, 1333), (333, 777): (571, 1333),
                     (1200, 1600): (800, 1066), (37, 53): (800, 1145), (801, 799): (802, 800)}


@pytest.mark.parametrize("size", TORCHVISION_SIZES)
def test_resized_shape_matches_torchvision(size):
    height, width, _ = resized_shape(*size, min_size=800, max_size=1333)
    assert (height, width) == TORCHVISION_SIZES[size]


def _torch_bilinear_reference(image, out_h, out_w):
    """Pixel by pixel, PyTorch's upsample_bilinear2d (align_corners=False) rule."""
    in_h, in_w = image.shape
    out = np.zeros((out_h, out_w))

    def source(i, in_size, out_size):
        src = max((i + 0.5) * in_size / out_size - 0.5, 0.0)
        low = min(int(np.floor(src)), in_size - 1)
        high = low + 1 if low < in_size - 1 else low
        return low, high, src - low

    for y in range(out_h):
        y0, y1, ly = source(y, in_h, out_h)
        for x in range(out_w):
            x0, x1, lx = source(x, in_w, out_w)
            out[y, x] = ((1 - ly) * ((1 - lx) * image[y0, x0] + lx * image[y0, x1])
                         + ly * ((1 - lx) * image[y1, x0] + lx * image[y1, x1]))
    return out


@pytest.mark.parametrize("out_size", [(11, 17), (4, 3), (7, 5), (30, 1)])
def test_resize_bilinear_matches_pytorch_rule(out_size):
    image = np.random.default_rng(0).random((7, 5)).astype(np.float32)
    ours = resize_bilinear(image, *out_size)
    np.testing.assert_allclose(ours, _torch_bilinear_reference(image, *out_size), atol=1e-5)


def test_resize_bilinear_equals_tf_half_pixel_resize():
    """TensorFlow's bilinear resize (half-pixel centres, no anti-aliasing) is the same rule."""
    image = np.random.default_rng(1).random((9, 13, 3)).astype(np.float32)
    expected = tf.image.resize(image, (20, 8), method="bilinear", antialias=False).numpy()
    np.testing.assert_allclose(resize_bilinear(image, 20, 8), expected, atol=1e-5)


def test_bilinear_matrix_rows_sum_to_one():
    matrix = bilinear_matrix(5, 12)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-6)
    assert matrix.shape == (12, 5)
