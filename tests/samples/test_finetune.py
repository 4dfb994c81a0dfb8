"""samples/finetune.py end to end: fine-tune from a weights file on COCO-format annotations.

Tiny on purpose (64x64 shapes, 2 steps an epoch, heads then all layers): it proves the
sample runs, writes matterport-layout checkpoints and prints COCO AP, not that it learns
(tests/training/test_train.py and test_torchvision_training.py do that). Both families: a
matterport HDF5 file, and a local torchvision state dict (.npz) that picks the torchvision
family (never a download).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import h5py
import numpy as np

from mrcnn_tf.ops.boxes import extract_bboxes
from tests.helpers import REPO, shapes_dataset


def _coco_files(folder, count, seed):
    """Shapes images as PNGs and a COCO annotation file with one box polygon per shape."""
    dataset = shapes_dataset(count, 64, 64, seed=seed)
    folder.mkdir()
    images, annotations = [], []
    for image_id in dataset.image_ids:
        cv2.imwrite(str(folder / f"{image_id}.png"),
                    cv2.cvtColor(dataset.load_image(image_id), cv2.COLOR_RGB2BGR))
        images.append({"id": int(image_id) + 1, "file_name": f"{image_id}.png",
                       "height": 64, "width": 64})
        masks, class_ids = dataset.load_mask(image_id)
        for (y1, x1, y2, x2), class_id in zip(extract_bboxes(masks).tolist(), class_ids):
            annotations.append({
                "id": len(annotations) + 1, "image_id": int(image_id) + 1,
                "category_id": int(class_id), "iscrowd": 0, "area": (y2 - y1) * (x2 - x1),
                "bbox": [x1, y1, x2 - x1, y2 - y1],
                "segmentation": [[x1, y1, x2, y1, x2, y2, x1, y2]]})
    categories = [{"id": i, "name": name} for i, name in enumerate(dataset.class_names) if i]
    path = folder.with_suffix(".json")
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": categories}))
    return path


def _run_sample(tmp_path, weights):
    train_json = _coco_files(tmp_path / "train", 3, seed=0)
    val_json = _coco_files(tmp_path / "val", 2, seed=1)
    command = [sys.executable, str(REPO / "samples" / "finetune.py"), "--name", "tiny",
               "--weights", str(weights), "--image-dim", "64",
               "--train-annotations", str(train_json), "--train-images", str(tmp_path / "train"),
               "--val-annotations", str(val_json), "--val-images", str(tmp_path / "val"),
               "--steps-per-epoch", "2", "--validation-steps", "1", "--head-epochs", "1",
               "--all-epochs", "2", "--logs", str(tmp_path / "logs")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                          env={"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    checkpoints = sorted(p.name for p in (tmp_path / "logs").glob("tiny*/*.h5"))
    assert checkpoints == ["mask_rcnn_tiny_0001.h5", "mask_rcnn_tiny_0002.h5"]
    line = [l for l in done.stdout.splitlines() if l.startswith("validation:")]
    assert line, done.stdout
    values = [float(v) for v in line[0].replace("(", " ").replace(")", " ").split()
              if v.replace(".", "").replace("-", "").isdigit()]
    assert len(values) == 4 and all(-1 <= v <= 1 for v in values), line
    assert np.isfinite(values).all()
    return sorted((tmp_path / "logs").glob("tiny*/*.h5"))


def test_finetune_sample_trains_checkpoints_and_scores(tmp_path, r50_weights):
    _run_sample(tmp_path, r50_weights)


def test_finetune_sample_with_torchvision_weights(tmp_path, tv_v2_weights):
    checkpoints = _run_sample(tmp_path, tv_v2_weights)
    # the checkpoint is the torchvision v2 family's, for the annotations' 4 classes (+ bg)
    with h5py.File(checkpoints[-1], "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        assert "roi_heads.box_head.0.0" in names  # v2's convolutional box head
        group = f["roi_heads.box_predictor.cls_score"]
        kernel = [group[n][()] for n in group.attrs["weight_names"] if b"kernel" in n][0]
    assert kernel.shape == (1024, 4)
