"""The torchvision family trains under tf.distribute.MirroredStrategy on two logical CPU
devices, with augmentation (a subprocess: distributed_run.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.helpers import REPO

SCRIPT = Path(__file__).with_name("distributed_run.py")


def test_two_replicas_fine_tune_in_sync(tv_v1_weights, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(SCRIPT), str(tv_v1_weights), str(tmp_path),
                           "torchvision_v1"],
                          capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2 and report["variable_copies"] == 2
    assert report["copies_equal"] and report["changed"]
    for name, values in report["history"].items():
        assert np.isfinite(values).all(), name
    assert "val_loss" in report["history"]
