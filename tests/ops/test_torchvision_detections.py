"""ops.torchvision_detections: softmax, per-class boxes, threshold, per-class NMS, top D."""
import numpy as np

from mrcnn_tf.ops.torchvision_detections import detect_batch


def test_per_class_nms_threshold_and_padding():
    proposals = np.array([[[0, 0, 10, 10], [0, 0, 10, 10.5], [20, 20, 30, 30],
                           [0, 0, 10, 10]]], np.float32)
    valid = np.array([[True, True, True, False]])  # the last row is padding
    logits = np.log(np.array([[[0.1, 0.8, 0.1], [0.1, 0.6, 0.3], [0.05, 0.05, 0.9],
                               [0.0001, 0.9998, 0.0001]]], np.float32))
    deltas = np.zeros((1, 4, 3, 4), np.float32)
    out = detect_batch(proposals, valid, logits, deltas, np.array([[40.0, 40.0]], np.float32),
                       weights=(10.0, 10.0, 5.0, 5.0), score_threshold=0.2, nms_threshold=0.5,
                       max_detections=5).numpy()[0]
    # class 2 at 0.9 (row 2), class 1 at 0.8 (row 0; row 1's 0.6 suppressed), class 2 at 0.3
    # (row 1: another class, kept); 0.1 and 0.05 are below 0.2; padding gives nothing
    np.testing.assert_allclose(out[:3, 4:], [[2, 0.9], [1, 0.8], [2, 0.3]], rtol=1e-5)
    np.testing.assert_allclose(out[:3, :4], proposals[0, [2, 0, 1]])
    assert (out[3:] == 0).all()
