"""CocoDataset on a tiny COCO file written here: masks, crowds, class subsets, and malformed
entries reported with their annotation id and skipped."""
from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mrcnn_tf.data import CocoDataset

H, W = 40, 60


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


@pytest.fixture
def coco_files(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.jpg", "b.jpg"):
        cv2.imwrite(str(images / name), np.full([H, W, 3], 128, np.uint8))
    crowd = np.zeros([H, W], bool)
    crowd[20:30, 30:50] = True
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": H, "width": W},
                   {"id": 2, "file_name": "b.jpg", "height": H, "width": W},
                   {"id": 3, "file_name": "gone.jpg", "height": H, "width": W}],
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 100,
             "bbox": [10, 5, 10, 10], "segmentation": [[10, 5, 20, 5, 20, 15, 10, 15]]},
            {"id": 11, "image_id": 1, "category_id": 18, "iscrowd": 1, "area": 200,
             "bbox": [30, 20, 20, 10], "segmentation": _rle(crowd)},
            {"id": 12, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 0,
             "bbox": [0, 0, 1, 1], "segmentation": [[0, 0, 5, 5]]},          # 2 points
            {"id": 13, "image_id": 2, "category_id": 99, "iscrowd": 0, "area": 4,
             "bbox": [0, 0, 2, 2], "segmentation": [[0, 0, 2, 0, 2, 2]]},    # no category 99
            {"id": 14, "image_id": 2, "category_id": 18, "iscrowd": 0, "area": 50,
             "bbox": [2, 2, 8, 8], "segmentation": [[2, 2, 10, 2, 10, 10, 2, 10]]},
            {"id": 15, "image_id": 3, "category_id": 1, "iscrowd": 0, "area": 4,
             "bbox": [0, 0, 2, 2], "segmentation": [[0, 0, 2, 0, 2, 2]]},    # file missing
            {"image_id": 2, "category_id": 1},                                # no id
        ],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))
    return path, images


def test_loads_masks_and_crowds(coco_files, caplog):
    dataset = CocoDataset()
    with caplog.at_level(logging.WARNING):
        dataset.load_coco(*coco_files)
    dataset.prepare()
    assert dataset.class_names == ["BG", "person", "dog"]
    assert [info["id"] for info in dataset.image_info] == [1, 2]
    masks, class_ids = dataset.load_mask(0)
    assert masks.shape == (H, W, 2) and masks.dtype == bool
    np.testing.assert_array_equal(class_ids, [1, -2])  # the crowd's class id is negative
    assert masks[5:15, 10:20, 0].all() and not masks[:, 25:, 0].any()
    assert masks[20:30, 30:50, 1].all() and masks[..., 1].sum() == 200
    masks, class_ids = dataset.load_mask(1)
    np.testing.assert_array_equal(class_ids, [2])
    assert dataset.load_image(0).shape == (H, W, 3)
    assert dataset.get_source_class_id(2, "coco") == 18


def test_malformed_entries_are_reported_by_annotation_id(coco_files, caplog):
    dataset = CocoDataset()
    with caplog.at_level(logging.WARNING):
        dataset.load_coco(*coco_files)
    problems = "\n".join(dataset.problems)
    assert "annotation 12 (image 1): polygon with 2 point(s)" in problems
    assert "annotation 13 (image 2): category 99 is not listed" in problems
    assert "image 3: file" in problems and "gone.jpg" in problems and "(15)" in problems
    assert "annotation ?: missing id" in problems
    assert len(dataset.problems) == 4
    assert all(p in caplog.text for p in dataset.problems)


def test_class_subset_keeps_only_images_with_those_classes(coco_files):
    dataset = CocoDataset()
    dataset.load_coco(*coco_files, class_ids=[18])
    dataset.prepare()
    assert dataset.class_names == ["BG", "dog"]
    assert [info["id"] for info in dataset.image_info] == [1, 2]
    masks, class_ids = dataset.load_mask(0)
    np.testing.assert_array_equal(class_ids, [-1])  # only the dog crowd remains
    with pytest.raises(ValueError, match=r"class_ids \[5\]"):
        CocoDataset().load_coco(*coco_files, class_ids=[5])


def test_returns_the_coco_object(coco_files):
    coco = CocoDataset().load_coco(*coco_files, return_coco=True)
    assert sorted(coco.getCatIds()) == [1, 18]
    assert 12 not in coco.anns and 10 in coco.anns
