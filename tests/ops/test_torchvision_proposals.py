"""ops.torchvision_proposals: per-level top-k and NMS, clipping, small boxes, the final cut."""
import numpy as np

from mrcnn_tf.ops.torchvision_proposals import image_proposals

ANCHOR = [0.0, 0.0, 10.0, 10.0]


def _run(logits, anchors, **kwargs):
    deltas = [np.zeros((len(level), 4), np.float32) for level in logits]
    args = dict(pre_nms_top_n=2, post_nms_top_n=3, nms_threshold=0.5)
    args.update(kwargs)
    boxes, scores, valid = image_proposals([np.asarray(l, np.float32) for l in logits], deltas,
                                           np.asarray(anchors, np.float32),
                                           np.array([20.0, 20.0], np.float32), **args)
    return boxes.numpy(), scores.numpy(), valid.numpy()


def test_nms_within_a_level_not_across_levels():
    # level 0: two identical boxes (one survives NMS); level 1: the same box again (kept)
    boxes, scores, valid = _run([[2.0, 1.0], [0.5]], [ANCHOR, ANCHOR, ANCHOR])
    assert valid.tolist() == [True, True, False]
    np.testing.assert_allclose(scores[:2], 1 / (1 + np.exp(-np.array([2.0, 0.5]))), rtol=1e-6)
    np.testing.assert_allclose(boxes[:2], [ANCHOR, ANCHOR])


def test_top_k_per_level_clipping_and_small_boxes():
    anchors = [[-5.0, -5.0, 30.0, 8.0],       # clipped to (0, 0, 20, 8)
               [3.0, 3.0, 3.0005, 9.0],       # thinner than min_size: dropped
               [12.0, 12.0, 18.0, 18.0],      # below the level's top 2: dropped
               [0.0, 10.0, 5.0, 15.0]]
    boxes, scores, valid = _run([[3.0, 2.0, 0.0, 1.0]], anchors, pre_nms_top_n=3)
    assert valid.tolist() == [True, True, False]
    np.testing.assert_allclose(boxes[:2], [[0, 0, 20, 8], [0, 10, 5, 15]])


def test_equal_probabilities_cut_in_reverse_order():
    # float32 sigmoids of 30 and 40 are both 1.0: the later level goes first at the cut
    far = [[0.0, 0.0, 4.0, 4.0], [10.0, 10.0, 14.0, 14.0]]
    boxes, scores, valid = _run([[40.0], [30.0]], far, post_nms_top_n=1)
    assert scores[0] == 1.0 and valid.tolist() == [True]
    np.testing.assert_allclose(boxes[0], far[1])
