"""evaluation.coco (pycocotools) and the ``mrcnn-tf evaluate`` command."""
from __future__ import annotations

import argparse
import json

import cv2
import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.data import CocoDataset
from mrcnn_tf.cli import evaluate as evaluate_command
from mrcnn_tf.evaluation.coco import STAT_NAMES, category_mapping, coco_results, evaluate_coco
from mrcnn_tf.ops.boxes import extract_bboxes
from tests.helpers import shapes_dataset, skimage_image


class GroundTruthModel:
    """Stands in for a MaskRCNN: detect() returns each image's ground truth (optionally with
    the classes changed), so the AP evaluate_coco computes is known in advance."""

    def __init__(self, dataset, class_map=None):
        self.config = mrcnn_tf.Config(NUM_CLASSES=4, IMAGES_PER_GPU=2)
        self.dataset = dataset
        self.class_map = class_map or {}
        self.next_id = 0

    def detect(self, images, batch_size=None):
        results = []
        for image in images:
            masks, class_ids = self.dataset.load_mask(self.next_id)
            assert image.shape[:2] == masks.shape[:2]
            self.next_id += 1
            keep = class_ids > 0
            results.append({"rois": extract_bboxes(masks[..., keep]),
                            "class_ids": np.array([self.class_map.get(c, c) for c in class_ids[keep]]),
                            "scores": np.linspace(0.99, 0.9, keep.sum()),
                            "masks": masks[..., keep]})
        return results


@pytest.fixture(scope="module")
def shapes():
    return shapes_dataset(5, 64, 64, seed=1)


def test_ground_truth_scores_one(shapes):
    summary = evaluate_coco(GroundTruthModel(shapes), shapes, progress=False)
    assert summary["images"] == 5
    for eval_type in ("bbox", "segm"):
        assert set(summary[eval_type]) == set(STAT_NAMES)
        assert summary[eval_type]["AP"] == pytest.approx(1.0)
        assert summary[eval_type]["AP50"] == pytest.approx(1.0)


def test_wrong_classes_score_zero_and_limit(shapes):
    wrong = GroundTruthModel(shapes, class_map={1: 2, 2: 3, 3: 1})
    summary = evaluate_coco(wrong, shapes, eval_type="segm", limit=3, progress=False)
    assert summary["images"] == 3 and "bbox" not in summary
    assert summary["segm"]["AP"] == pytest.approx(0.0)


def test_coco_results_format():
    masks = np.zeros([6, 8, 1], bool)
    masks[1:3, 2:7, 0] = True
    result = {"rois": np.array([[1, 2, 3, 7]]), "class_ids": np.array([2]),
              "scores": np.array([0.5], np.float32), "masks": masks}
    entry = coco_results(42, result, {2: 18})[0]
    assert entry["image_id"] == 42 and entry["category_id"] == 18
    assert entry["bbox"] == [2, 1, 5, 2] and entry["score"] == pytest.approx(0.5)
    from pycocotools import mask as mask_utils
    np.testing.assert_array_equal(mask_utils.decode(entry["segmentation"]), masks[..., 0])


@pytest.fixture
def coco_files(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    images, annotations = [], []
    for i, name in enumerate(("astronaut", "coffee"), start=1):
        image = cv2.resize(skimage_image(name), (96, 64))
        cv2.imwrite(str(folder / f"{name}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        images.append({"id": i, "file_name": f"{name}.png", "height": 64, "width": 96})
        annotations.append({"id": 100 + i, "image_id": i, "category_id": 1, "iscrowd": 0,
                            "area": 600, "bbox": [20, 10, 30, 20],
                            "segmentation": [[20, 10, 50, 10, 50, 30, 20, 30]]})
    annotations.append({"id": 200, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 0,
                        "bbox": [0, 0, 1, 1], "segmentation": [[1, 1, 2, 2]]})
    path = tmp_path / "ann.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": [{"id": 1, "name": "person"}]}))
    return path, folder


def test_category_mapping(coco_files):
    dataset = CocoDataset()
    dataset.load_coco(*coco_files)
    dataset.prepare()
    assert category_mapping(dataset, 2) == {1: 1}                  # trained on this file
    coco_map = category_mapping(dataset, 81)                        # COCO weights
    assert coco_map[1] == 1 and coco_map[80] == 90 and len(coco_map) == 80
    with pytest.raises(ValueError, match="NUM_CLASSES=5"):
        category_mapping(dataset, 5)


def test_evaluate_command(coco_files, r50_weights, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    evaluate_command.add_arguments(parser)
    out = tmp_path / "ap.json"
    args = parser.parse_args(["--weights", str(r50_weights), "--annotations", str(coco_files[0]),
                              "--images", str(coco_files[1]), "--image-max-dim", "128",
                              "--image-min-dim", "128", "--json", str(out), "-q"])
    assert args.run(args) == 0
    printed = capsys.readouterr()
    assert "2 images in" in printed.out and "segm" in printed.out
    summary = json.loads(out.read_text())
    assert summary["images"] == 2
    for eval_type in ("bbox", "segm"):
        assert all(-1.0 <= summary[eval_type][name] <= 1.0 for name in STAT_NAMES)
    assert any("annotation 200" in p for p in summary["skipped"])


def test_evaluate_command_bad_inputs(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    evaluate_command.add_arguments(parser)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    args = parser.parse_args(["--weights", "w.h5", "--annotations", str(bad), "--images", "."])
    assert args.run(args) == 2
    assert "--annotations" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["--weights", "w", "--annotations", "a", "--images", ".",
                           "--eval-type", "keypoints"])
