"""visualize.colors: instance colours and the coloured class map."""
from __future__ import annotations

import numpy as np

from mrcnn_tf.visualize import colorize_labels, draw_instances, instance_colors


def test_colorize_labels_gives_each_class_its_first_instance_colour_and_black_background():
    labels = np.array([[0, 16, 16], [1, 0, 3]], np.int32)
    out = colorize_labels(labels)
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[labels == 0], 0)
    for class_id in (1, 3, 16):
        assert (out[labels == class_id] == instance_colors([class_id])[0]).all()
    assert len({tuple(out[0, 1]), tuple(out[1, 0]), tuple(out[1, 2])}) == 3


def test_the_class_colour_is_the_one_draw_instances_fills_an_object_with():
    image = np.zeros((4, 4, 3), np.uint8)
    masks = np.zeros((4, 4, 1), bool)
    masks[1:3, 1:3] = True
    result = {"rois": np.array([[1, 1, 3, 3]]), "class_ids": np.array([16]),
              "scores": np.array([0.9]), "masks": masks}
    drawn = draw_instances(image, result, ["BG"] * 81, alpha=1.0, show_boxes=False,
                           show_labels=False)
    np.testing.assert_array_equal(drawn[1:3, 1:3], colorize_labels(masks[:, :, 0] * 16)[1:3, 1:3])
