"""ops.torchvision_boxes: BoxCoder decoding, clipping and the small-box test."""
import math

import numpy as np

from mrcnn_tf.ops.torchvision_boxes import (BBOX_XFORM_CLIP, clip_boxes, decode_boxes,
                                            delta_weights_from_std, large_enough)


def test_weights_from_std():
    assert delta_weights_from_std([0.1, 0.1, 0.2, 0.2]) == (10.0, 10.0, 5.0, 5.0)


def test_decode_worked_example():
    box = np.array([[0.0, 0.0, 20.0, 10.0]], np.float32)  # y1, x1, y2, x2: 10 wide, 20 tall
    # dx = 1 widths right, dy = 0, width doubled, height kept (weights 10, 10, 5, 5)
    deltas = np.array([[10.0, 0.0, 5 * math.log(2.0), 0.0]], np.float32)
    decoded = decode_boxes(deltas, box, (10.0, 10.0, 5.0, 5.0)).numpy()
    np.testing.assert_allclose(decoded, [[0.0, 5.0, 20.0, 25.0]], atol=1e-5)


def test_decode_caps_scale_deltas():
    box = np.array([[0.0, 0.0, 16.0, 16.0]], np.float32)
    decoded = decode_boxes(np.array([[0.0, 0.0, 50.0, 50.0]], np.float32), box).numpy()
    side = 16 * math.exp(BBOX_XFORM_CLIP)  # 1000
    np.testing.assert_allclose(decoded, [[8 - side / 2, 8 - side / 2, 8 + side / 2,
                                          8 + side / 2]], rtol=1e-5)


def test_clip_and_small_boxes():
    boxes = np.array([[-5.0, -3.0, 50.0, 70.0], [10.0, 10.0, 10.0005, 30.0]], np.float32)
    np.testing.assert_allclose(clip_boxes(boxes, 40, 60).numpy()[0], [0, 0, 40, 60])
    np.testing.assert_array_equal(large_enough(boxes, 1e-3).numpy(), [True, False])
