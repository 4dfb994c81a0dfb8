"""ops.torchvision_roi_align against a direct numpy transcription of torchvision's RoIAlign
(aligned=False) and of its LevelMapper."""
import numpy as np
import pytest

from mrcnn_tf.ops.torchvision_roi_align import (multiscale_roi_align_torchvision,
                                                roi_align_torchvision, roi_levels_torchvision)


def _bilinear(feature, y, x):
    height, width = feature.shape[:2]
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return np.zeros(feature.shape[2])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_high = y_low = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_high = x_low = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * feature[y_low, x_low] + hy * lx * feature[y_low, x_high]
            + ly * hx * feature[y_high, x_low] + ly * lx * feature[y_high, x_high])


def roi_align_reference(feature, box, scale, size, ratio):
    """torchvision's roi_align_forward_kernel for one box (y1, x1, y2, x2)."""
    y1, x1, y2, x2 = (v * scale for v in box)
    roi_h, roi_w = max(y2 - y1, 1.0), max(x2 - x1, 1.0)
    bin_h, bin_w = roi_h / size, roi_w / size
    out = np.zeros((size, size, feature.shape[2]))
    for ph in range(size):
        for pw in range(size):
            total = 0
            for iy in range(ratio):
                y = y1 + ph * bin_h + (iy + 0.5) * bin_h / ratio
                for ix in range(ratio):
                    x = x1 + pw * bin_w + (ix + 0.5) * bin_w / ratio
                    total = total + _bilinear(feature, y, x)
            out[ph, pw] = total / (ratio * ratio)
    return out


BOXES = np.array([[1.0, 2.0, 9.5, 13.0],      # inside
                  [-6.0, -7.0, 5.0, 4.0],     # over the top-left corner
                  [10.0, 14.0, 30.0, 40.0],   # over the bottom-right corner, samples beyond
                  [4.0, 4.0, 4.5, 4.2],       # smaller than one feature pixel
                  [-3.9, 21.0, 2.0, 27.9]],   # samples just inside [-1, 0) and (W - 1, W]
                 np.float32)


@pytest.mark.parametrize("size,ratio,scale", [(3, 2, 0.5), (2, 2, 1.0), (4, 1, 0.25)])
def test_roi_align_matches_numpy_reference(size, ratio, scale):
    feature = np.random.default_rng(0).standard_normal((2, 6, 7, 3)).astype(np.float32)
    indices = np.array([0, 1, 0, 1, 0], np.int32)
    ours = roi_align_torchvision(feature, BOXES, indices, spatial_scale=scale,
                                 output_size=size, sampling_ratio=ratio).numpy()
    for k, (box, image) in enumerate(zip(BOXES, indices)):
        expected = roi_align_reference(feature[image], box, scale, size, ratio)
        np.testing.assert_allclose(ours[k], expected, atol=1e-5, err_msg=f"box {k}")


def test_level_mapper():
    # sqrt(area) 224 -> level 4; 112 -> 3 (eps keeps the exact power of two); 111 -> 2;
    # 448 -> 5; tiny, empty and huge boxes clamp to 2..5
    sides = np.array([224.0, 112.0, 111.0, 448.0, 0.5, 0.0, 5000.0, 223.0], np.float32)
    boxes = np.stack([np.zeros_like(sides), np.zeros_like(sides), sides, sides], axis=1)
    np.testing.assert_array_equal(roi_levels_torchvision(boxes).numpy(), [4, 3, 2, 5, 2, 2, 5, 3])


def test_multiscale_keeps_box_order_and_uses_the_level_map():
    rng = np.random.default_rng(1)
    maps = [rng.standard_normal((1, 64 // 2 ** i, 64 // 2 ** i, 2)).astype(np.float32)
            for i in range(2, 6)]
    boxes = np.array([[[0, 0, 250, 250], [3, 3, 40, 40], [10, 5, 130, 120]]], np.float32)
    pooled = multiscale_roi_align_torchvision(boxes, maps, output_size=2).numpy()
    for k, level in enumerate((4, 2, 3)):  # sqrt(area) 250, 37, 117.5
        expected = roi_align_reference(maps[level - 2][0], boxes[0, k], 2.0 ** -level, 2, 2)
        np.testing.assert_allclose(pooled[0, k], expected, atol=1e-5)
