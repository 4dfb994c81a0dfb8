"""samples/shapes/train_shapes.py end to end with its default (from-scratch) recipe, on a
budget that ends each training stage after its first epoch (2 steps).

It proves the sample runs (small GroupNorm backbone as Config.BACKBONE, Adam, two stages,
one checkpoint kept, 50 held-out images scored and 8 drawn), not that it reaches its target:
that takes minutes (docs/training.md)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import h5py
import pytest

from tests.helpers import REPO


def test_shapes_sample_trains_from_scratch_and_scores(tmp_path):
    command = [sys.executable, str(REPO / "samples" / "shapes" / "train_shapes.py"),
               "--minutes", "0.01", "--steps-per-epoch", "2", "--logs", str(tmp_path / "logs"),
               "--out", str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                          env={"TF_CPP_MIN_LOG_LEVEL": "2", **os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    checkpoints = sorted((tmp_path / "logs").glob("shapes*/*.h5"))
    assert [p.name for p in checkpoints] == ["mask_rcnn_shapes_0002.h5"]  # stage 2's only
    with h5py.File(checkpoints[0], "r") as f:
        layer_names = set(f.attrs["layer_names"].astype(str))
    assert {"small_stage1_conv1", "small_stage5_conv2", "fpn_c5p5", "mrcnn_mask"} <= layer_names
    assert not any(name.startswith("res2a") for name in layer_names)
    score = re.search(r"mask mAP@0.5 on 50 held-out images: (\d\.\d{3})", done.stdout)
    assert score and 0 <= float(score.group(1)) <= 1, done.stdout
    assert len(list((tmp_path / "out").glob("val_*.png"))) == 8


def test_resnet50_recipe_is_matterports_resnet_with_trained_batch_norm(monkeypatch):
    """--backbone resnet50: the from-scratch recipe on matterport's ResNet-50 (its layer
    names, so the bfloat16 check runs on real ResNet convolutions) with BatchNorm trained;
    with --init coco it is refused (that recipe is ResNet-50 already)."""
    monkeypatch.syspath_prepend(str(REPO / "samples" / "shapes"))
    import train_shapes

    config = train_shapes.config_class("scratch", "resnet50")()
    assert (config.BACKBONE, config.TRAIN_BN, config.TOP_DOWN_PYRAMID_SIZE) == ("resnet50", True,
                                                                                256)
    assert config.IMAGES_PER_GPU == 4 and config.IMAGE_MAX_DIM == 128
    assert train_shapes.config_class("scratch", "small")().BACKBONE is train_shapes.small_backbone
    monkeypatch.setattr(sys, "argv", ["train_shapes.py", "--backbone", "resnet50", "--init", "coco"])
    with pytest.raises(SystemExit) as stop:
        train_shapes.main()
    assert stop.value.code == 2
