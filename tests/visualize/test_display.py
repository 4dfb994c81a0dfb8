"""display_instances: matterport's signature and look, headless with the Agg backend."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib import patches
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.visualize import apply_mask, display_instances, random_colors

COLORS = [(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]


def axes():
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def test_masks_blend_half_the_colour_and_boxes_captions_outlines_are_drawn(photo, result):
    fig, ax = axes()
    before = photo.copy()
    returned = display_instances(photo, result["rois"], result["masks"], result["class_ids"],
                                 COCO_CLASS_NAMES, result["scores"], title="chelsea", ax=ax,
                                 colors=COLORS)
    fig.canvas.draw()
    assert returned is ax and ax.get_title() == "chelsea"
    shown = np.asarray(ax.images[0].get_array())
    assert shown.shape == photo.shape
    masks = result["masks"]
    outside = ~masks.any(axis=2)
    np.testing.assert_array_equal(shown[outside], photo[outside])
    only_cat = masks[:, :, 0] & ~masks[:, :, 1:].any(axis=2)
    expected = (photo[only_cat].astype(np.float64) * 0.5 + 0.5 * 255 * np.array(COLORS[0]))
    np.testing.assert_array_equal(shown[only_cat], expected.astype(np.uint32).astype(np.uint8))
    rectangles = [p for p in ax.patches if isinstance(p, patches.Rectangle)]
    outlines = [p for p in ax.patches if isinstance(p, patches.Polygon)]
    assert len(rectangles) == 3 and len(outlines) >= 3
    y1, x1, y2, x2 = result["rois"][0]
    assert rectangles[0].get_xy() == (x1, y1) and rectangles[0].get_width() == x2 - x1
    assert rectangles[0].get_linestyle() in ("--", "dashed")
    assert [t.get_text() for t in ax.texts] == ["cat 0.970", "person 0.810", "person 0.660"]
    assert ax.get_xlim() == (-10, photo.shape[1] + 10)
    np.testing.assert_array_equal(photo, before)


def test_captions_and_switches(photo, result):
    fig, ax = axes()
    display_instances(photo, result["rois"], result["masks"], result["class_ids"],
                      COCO_CLASS_NAMES, ax=ax, show_mask=False, show_bbox=False,
                      captions=["a", "b", "c"])
    np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), photo)
    assert not [p for p in ax.patches if isinstance(p, patches.Rectangle)]
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c"]


def test_without_scores_the_caption_is_the_class_name(photo, result):
    fig, ax = axes()
    display_instances(photo, result["rois"], result["masks"], result["class_ids"],
                      COCO_CLASS_NAMES, ax=ax)
    assert [t.get_text() for t in ax.texts] == ["cat", "person", "person"]


def test_own_figure_on_agg_and_no_instances(photo, capsys):
    import matplotlib.pyplot as plt

    figures = len(plt.get_fignums())
    ax = display_instances(photo, np.zeros((0, 4)), np.zeros(photo.shape[:2] + (0,)),
                           np.zeros(0, int), COCO_CLASS_NAMES)
    assert "No instances to display" in capsys.readouterr().out
    assert len(plt.get_fignums()) == figures + 1
    plt.close(ax.figure)


def test_mismatched_counts_are_refused(photo, result):
    fig, ax = axes()
    with pytest.raises(ValueError, match="3 boxes, 2 masks"):
        display_instances(photo, result["rois"], result["masks"][:, :, :2],
                          result["class_ids"], COCO_CLASS_NAMES, ax=ax)


def test_random_colors():
    colors = random_colors(7)
    assert len(set(colors)) == 7
    assert all(0 <= c <= 1 for rgb in colors for c in rgb)
    assert all(max(rgb) == pytest.approx(1.0) for rgb in colors)
    assert all(max(rgb) == pytest.approx(0.7) for rgb in random_colors(4, bright=False))


def test_apply_mask_blends_in_place():
    image = np.full((2, 3, 3), 100, np.uint32)
    mask = np.array([[1, 0, 0], [0, 0, 1]])
    out = apply_mask(image, mask, (1.0, 0.0, 0.5), alpha=0.5)
    assert out is image
    np.testing.assert_array_equal(out[0, 0], [177, 50, 113])  # 50 + 127.5, 50, 50 + 63.75
    np.testing.assert_array_equal(out[0, 1], [100, 100, 100])
