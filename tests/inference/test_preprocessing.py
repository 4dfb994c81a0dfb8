"""inference.preprocessing: matterport's resize modes, mean subtraction and image metas."""
from __future__ import annotations

import numpy as np
import skimage.transform

from mrcnn_tf import Config
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.ops.resize import mold_image, resize_image


def _image(h, w, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3)).astype(dtype)


def test_square_mode_300x451():
    image = _image(300, 451)
    out, window, scale, padding = resize_image(image, min_dim=800, max_dim=1024, mode="square")
    # 800/300 would make the long side 1203 > 1024, so the long side is capped at 1024
    assert scale == 1024 / 451
    new_h = round(300 * 1024 / 451)
    assert new_h == 681
    top = (1024 - new_h) // 2
    assert out.shape == (1024, 1024, 3) and out.dtype == np.uint8
    assert tuple(window) == (top, 0, top + new_h, 1024) == (171, 0, 852, 1024)
    assert padding == [(171, 172), (0, 0), (0, 0)]
    assert not out[:171].any() and not out[852:].any()
    resized = skimage.transform.resize(image, (681, 1024), order=1, mode="constant",
                                       preserve_range=True, anti_aliasing=False)
    np.testing.assert_array_equal(out[171:852], resized.astype(np.uint8))


def test_square_mode_keeps_float_dtype_and_small_images_grow():
    image = _image(40, 50, np.float32)
    out, window, scale, _ = resize_image(image, min_dim=128, max_dim=128, mode="square")
    assert out.dtype == np.float32 and out.shape == (128, 128, 3)
    assert scale == 128 / 50   # min side to 128 would make the long side 160 > 128
    assert tuple(window) == (13, 0, 115, 128)   # 40 * 2.56 = 102.4 -> 102 rows, 13 above


def test_pad64_mode_pads_to_multiples_of_64():
    image = _image(100, 130)
    out, window, scale, padding = resize_image(image, min_dim=64, max_dim=1024, mode="pad64")
    assert scale == 1 and out.shape == (128, 192, 3)
    assert padding == [(14, 14), (31, 31), (0, 0)]
    assert tuple(window) == (14, 31, 114, 161)
    np.testing.assert_array_equal(out[14:114, 31:161], image)

    out, window, scale, _ = resize_image(image, min_dim=128, max_dim=1024, mode="pad64")
    assert scale == 1.28 and out.shape == (128, 192, 3)   # 100x130 -> 128x166 -> 128x192
    assert tuple(window) == (0, 13, 128, 179)
    for side in out.shape[:2]:
        assert side % 64 == 0


def test_none_mode_leaves_image_untouched():
    image = _image(37, 53)
    out, window, scale, padding = resize_image(image, min_dim=800, max_dim=1024, mode="none")
    assert out is image or np.array_equal(out, image)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert tuple(window) == (0, 0, 37, 53) and scale == 1
    assert padding == [(0, 0), (0, 0), (0, 0)]


def test_mold_image_subtracts_mean_pixel():
    image = _image(4, 5)
    mean = np.array([123.7, 116.8, 103.9])
    out = mold_image(image, mean)
    assert out.dtype == np.float32 and out.shape == image.shape
    for c in range(3):
        np.testing.assert_allclose(out[..., c], image[..., c].astype(np.float64) - mean[c],
                                   atol=1e-4)


def test_mold_inputs_meta():
    config = Config(NUM_CLASSES=3, IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128)
    image = _image(64, 32)
    molded, metas, windows = mold_inputs([image], config)
    assert molded.shape == (1, 128, 128, 3) and molded.dtype == np.float32
    assert metas.shape == (1, config.IMAGE_META_SIZE) == (1, 15)
    # id, original shape, molded shape, window, scale, class flags
    np.testing.assert_allclose(metas[0], [0, 64, 32, 3, 128, 128, 3, 0, 32, 128, 96, 2, 0, 0, 0])
    np.testing.assert_array_equal(windows, [[0, 32, 128, 96]])
    # padding is mean-subtracted zeros
    np.testing.assert_allclose(molded[0, 0, 0], -config.MEAN_PIXEL, atol=1e-4)


def test_fit64_keeps_square_scale_and_pads_only_to_multiples_of_64():
    image = np.full((300, 451, 3), 7, dtype=np.uint8)
    square, _, square_scale, _ = resize_image(image, min_dim=800, max_dim=1024, mode="square")
    fit, window, scale, padding = resize_image(image, min_dim=800, max_dim=1024, mode="fit64")
    assert scale == square_scale == 1024 / 451
    assert fit.shape == (704, 1024, 3)  # 681 rows padded to 704; 1024 columns already fit
    assert window == (11, 0, 692, 1024)
    assert padding[0] == (11, 12)
    # same pixels as square mode inside the window
    sy1 = (1024 - 681) // 2
    np.testing.assert_array_equal(fit[11:692], square[sy1:sy1 + 681])
