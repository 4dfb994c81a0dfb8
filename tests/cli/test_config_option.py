"""--config FILE on the model commands: a model trained with a backbone function (the shapes
sample's small GroupNorm backbone, as ``mrcnn-tf train --config samples/shapes/
train_config.yaml`` trains it) is rebuilt by ``mrcnn-tf detect`` from the same file."""
from __future__ import annotations

import contextlib
import io
import json

import cv2
import numpy as np
import pytest

from mrcnn_tf.cli.main import main
from tests.helpers import REPO, skimage_image

SHAPES_CONFIG = REPO / "samples" / "shapes" / "train_config.yaml"
NAMES = ["BG", "square", "circle", "triangle"]


def run_cli(argv) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, err.getvalue()


@pytest.fixture(scope="module")
def shapes_weights(tmp_path_factory):
    """Seeded weights of the shapes recipe's model (small backbone), saved with its names."""
    import keras

    from mrcnn_tf import Config, MaskRCNN
    from mrcnn_tf.cli.model_setup import config_file_fields

    keras.utils.set_random_seed(5)
    fields = config_file_fields(SHAPES_CONFIG)
    config = Config(**{**fields, "NUM_CLASSES": 4, "IMAGE_MIN_DIM": 128, "IMAGE_MAX_DIM": 128,
                       "IMAGES_PER_GPU": 1, "DETECTION_MIN_CONFIDENCE": 0.0})
    model = MaskRCNN(mode="inference", config=config)
    model.class_names = NAMES
    path = tmp_path_factory.mktemp("shapes") / "final.h5"
    model.save_weights(path)
    return path


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "coffee.png"
    cv2.imwrite(str(path), cv2.cvtColor(cv2.resize(skimage_image("coffee"), (160, 120)),
                                        cv2.COLOR_RGB2BGR))
    return path


def test_without_the_config_the_backbone_is_asked_for(shapes_weights, image, tmp_path):
    status, err = run_cli(["detect", str(image), "--weights", str(shapes_weights), "--out",
                           str(tmp_path)])
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1, err
    assert "does not name its backbone" in lines[0] and "--config FILE" in lines[0]


def test_detect_rebuilds_the_model_from_the_config(shapes_weights, image, tmp_path):
    status, err = run_cli(["detect", str(image), "--weights", str(shapes_weights), "--config",
                           str(SHAPES_CONFIG), "--image-max-dim", "128", "--image-min-dim",
                           "128", "--min-score", "0", "--out", str(tmp_path)])
    assert status == 0, err
    assert "(small_backbone, 4 classes)" in err
    with open(tmp_path / "coffee.json") as f:
        detections = json.load(f)["detections"]
    assert detections, "no detections: nothing to check the names on"
    assert {d["class_name"] for d in detections} <= set(NAMES[1:])
    assert all(np.isfinite(d["score"]) for d in detections)


def test_a_bad_config_file_is_one_line(shapes_weights, image, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("BACKBONE: nowhere.py:small_backbone\n")
    status, err = run_cli(["detect", str(image), "--weights", str(shapes_weights), "--config",
                           str(bad), "--out", str(tmp_path / "out")])
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "nowhere.py" in lines[0], err
