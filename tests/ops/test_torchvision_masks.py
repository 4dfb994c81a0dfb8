"""ops.torchvision_masks: paste_masks_in_image against a pixel-by-pixel numpy reference."""
import numpy as np

from mrcnn_tf.ops.torchvision_masks import expand_boxes, paste_masks_torchvision


def _sample(mask, y, x):
    """PyTorch's bilinear (align_corners=False) value at output pixel centre (y, x) given as
    source coordinates."""
    def axis(src, size):
        src = max(src, 0.0)
        low = min(int(np.floor(src)), size - 1)
        return low, (low + 1 if low < size - 1 else low), src - low

    y0, y1, ly = axis(y, mask.shape[0])
    x0, x1, lx = axis(x, mask.shape[1])
    return ((1 - ly) * ((1 - lx) * mask[y0, x0] + lx * mask[y0, x1])
            + ly * ((1 - lx) * mask[y1, x0] + lx * mask[y1, x1]))


def paste_reference(mask, box, height, width):
    """torchvision's expand_masks + expand_boxes + paste_mask_in_image for one (y1, x1, y2, x2)
    box, one pixel at a time."""
    side = mask.shape[0]
    padded = np.pad(mask, 1)
    scale = (side + 2.0) / side
    cy, cx = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hh, hw = (box[2] - box[0]) / 2 * scale, (box[3] - box[1]) / 2 * scale
    y1, x1, y2, x2 = (int(v) for v in (cy - hh, cx - hw, cy + hh, cx + hw))  # toward zero
    h, w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
    out = np.zeros((height, width))
    for y in range(max(y1, 0), min(y2 + 1, height)):
        for x in range(max(x1, 0), min(x2 + 1, width)):
            sy = (y - y1 + 0.5) * (side + 2) / h - 0.5
            sx = (x - x1 + 0.5) * (side + 2) / w - 0.5
            out[y, x] = _sample(padded, sy, sx)
    return out > 0.5


def test_paste_matches_reference():
    rng = np.random.default_rng(0)
    masks = rng.random((4, 6, 6)).astype(np.float32)
    boxes = np.array([[2.3, 3.7, 14.2, 11.9],     # inside
                      [-4.0, -2.5, 6.0, 9.0],     # over the top-left corner (negative -> 0)
                      [10.5, 15.2, 30.0, 28.0],   # over the bottom-right corner
                      [5.0, 5.0, 5.4, 5.3]],      # under a pixel
                     np.float32)
    pasted = paste_masks_torchvision(masks, boxes, (20, 24, 3))
    assert pasted.shape == (20, 24, 4) and pasted.dtype == bool
    for k in range(4):
        np.testing.assert_array_equal(pasted[..., k], paste_reference(masks[k], boxes[k], 20, 24),
                                      err_msg=f"mask {k}")


def test_expand_boxes_scales_about_centre():
    np.testing.assert_allclose(expand_boxes([[0, 0, 28, 56]], 30 / 28), [[-1, -2, 29, 58]],
                               atol=1e-5)


def test_no_detections():
    assert paste_masks_torchvision(np.zeros((0, 28, 28)), np.zeros((0, 4)), (5, 7)).shape == (5, 7, 0)
