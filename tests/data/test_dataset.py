"""mrcnn_tf.data.Dataset (matterport's interface) and ShapesDataset."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from mrcnn_tf.data import Dataset, ShapesDataset


class TwoSourceDataset(Dataset):
    def load_mask(self, image_id):
        return np.ones([4, 4, 1], bool), np.array([self.image_info[image_id]["cls"]], np.int32)


@pytest.fixture
def merged():
    dataset = TwoSourceDataset()
    dataset.add_class("coco", 18, "dog, domestic")
    dataset.add_class("coco", 1, "person")
    dataset.add_class("coco", 1, "person again")  # same (source, id): ignored
    dataset.add_class("cells", 1, "nucleus")
    dataset.add_image("coco", image_id=397133, path="a.jpg", cls=1)
    dataset.add_image("cells", image_id="x7", path="b.png", cls=3, width=4)
    dataset.prepare()
    return dataset


def test_prepare_builds_matterport_tables(merged):
    assert merged.num_classes == 4 and merged.class_names == ["BG", "dog", "person", "nucleus"]
    np.testing.assert_array_equal(merged.class_ids, [0, 1, 2, 3])
    np.testing.assert_array_equal(merged.image_ids, [0, 1])
    assert merged.num_images == 2
    assert merged.map_source_class_id("coco.18") == 1
    assert merged.map_source_class_id("cells.1") == 3
    assert merged.get_source_class_id(2, "coco") == 1
    assert merged.source_class_ids == {"": [0], "cells": [0, 3], "coco": [0, 1, 2]}
    assert merged.image_from_source_map["cells.x7"] == 1
    assert merged.image_info[1]["width"] == 4 and merged.source_image_link(0) == "a.jpg"
    assert merged.image_reference(0) == ""


def test_bad_class_calls(merged):
    with pytest.raises(ValueError, match="from source 'cells', not 'coco'"):
        merged.get_source_class_id(3, "coco")
    with pytest.raises(ValueError, match="must not contain a dot"):
        merged.add_class("co.co", 1, "x")


def test_load_image_reads_rgb_and_gray(tmp_path):
    rgb = np.zeros([6, 5, 3], np.uint8)
    rgb[..., 0] = 200  # red
    cv2.imwrite(str(tmp_path / "red.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "gray.png"), np.full([3, 4], 77, np.uint8))
    dataset = Dataset()
    for name in ("red.png", "gray.png", "missing.png"):
        dataset.add_image("files", image_id=name, path=str(tmp_path / name))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    dataset.add_image("files", image_id="broken", path=str(tmp_path / "broken.png"))
    dataset.prepare()
    np.testing.assert_array_equal(dataset.load_image(0), rgb)
    gray = dataset.load_image(1)
    assert gray.shape == (3, 4, 3) and np.all(gray == 77)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        dataset.load_image(2)
    with pytest.raises(ValueError, match="broken.png"):
        dataset.load_image(3)


def test_default_load_mask_has_no_instances():
    masks, class_ids = Dataset().load_mask(0)
    assert masks.shape[-1] == 0 and class_ids.shape == (0,)


def test_shapes_are_deterministic_and_occlude():
    a, b = ShapesDataset(), ShapesDataset()
    a.load_shapes(5, 64, 96, seed=7)
    b.load_shapes(5, 64, 96, seed=7)
    a.prepare()
    b.prepare()
    assert a.class_names == ["BG", "square", "circle", "triangle"]
    for image_id in a.image_ids:
        image = a.load_image(image_id)
        assert image.shape == (64, 96, 3) and image.dtype == np.uint8
        np.testing.assert_array_equal(image, b.load_image(image_id))
        masks, class_ids = a.load_mask(image_id)
        assert masks.shape[:2] == (64, 96) and len(class_ids) == masks.shape[-1] >= 1
        assert set(class_ids) <= {1, 2, 3}
        assert masks.sum(axis=-1).max() <= 1  # occluded pixels belong to the top shape only


def test_load_image_refuses_images_above_max_pixels_before_decoding(tmp_path):
    """A 20000x20000 PNG header over garbage data (decoding it would say "cannot be read")."""
    from mrcnn_tf.image_decode import ImageTooLargeError
    from tests.pixel_bombs import png_bomb

    (tmp_path / "bomb.png").write_bytes(png_bomb(20000, 20000))
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros([400, 600, 3], np.uint8))
    dataset = Dataset()
    for name in ("bomb.png", "small.png"):
        dataset.add_image("files", image_id=name, path=str(tmp_path / name))
    dataset.prepare()
    with pytest.raises(ImageTooLargeError) as caught:
        dataset.load_image(0)
    assert str(caught.value) == (f"image 0 ({tmp_path / 'bomb.png'}): 20000x20000 = 400 "
                                 "megapixels, more than the limit of 40 megapixels")
    assert dataset.load_image(1).shape == (400, 600, 3)
    dataset.max_pixels = 100_000
    with pytest.raises(ImageTooLargeError, match=r"600x400 = 0\.24 megapixels"):
        dataset.load_image(1)
