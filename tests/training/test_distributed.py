"""Training under tf.distribute.MirroredStrategy on two logical CPU devices (a subprocess:
logical devices must be set before TensorFlow initializes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mrcnn_tf
from tests.helpers import REPO

SCRIPT = Path(__file__).with_name("distributed_run.py")


@pytest.fixture(scope="module")
def report(r50_weights, tmp_path_factory):
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(SCRIPT), str(r50_weights),
                           str(tmp_path_factory.mktemp("distributed"))],
                          capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_replicas_train_in_sync(report):
    assert report["replicas"] == 2
    assert report["variable_copies"] == 2 and report["copies_equal"]
    assert report["changed"]


def test_losses_finite_including_validation(report):
    history = report["history"]
    for name in ("loss", "rpn_class_loss", "mrcnn_mask_loss", "val_loss", "val_mrcnn_class_loss"):
        assert name in history and np.all(np.isfinite(history[name])), (name, history)


def test_checkpoint_loads_into_inference_model(report):
    config = mrcnn_tf.Config(NUM_CLASSES=4, BACKBONE="resnet50", IMAGES_PER_GPU=1,
                             IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    loaded = model.load_weights(report["checkpoint"])
    assert not loaded.missing and not loaded.unused
    assert report["checkpoint"].endswith("mask_rcnn_shapes_0001.h5")
