"""Exported portable models for the runtime tests, each exported once per session."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO, require_extra

# matterport's parity configuration (../shared/parity/README.md), full size: ResNet-101, 1024
R101_CONFIG = dict(NUM_CLASSES=81, BACKBONE="resnet101", IMAGES_PER_GPU=1, GPU_COUNT=1,
                   IMAGE_MIN_DIM=800, IMAGE_MAX_DIM=1024, IMAGE_RESIZE_MODE="square",
                   DETECTION_MIN_CONFIDENCE=0.7)
# torchvision v2 at a smaller size (the resize rule is torchvision's all the same)
TV_SMALL = dict(IMAGE_MIN_DIM=320, IMAGE_MAX_DIM=512, DETECTION_MIN_CONFIDENCE=0.3)
# what each format needs to export and to run
EXTRAS = {"onnx": (("tf2onnx", "onnx"), ("onnxruntime", "onnx")),
          "openvino": (("tf2onnx", "onnx"), ("openvino", "openvino")),
          "litert": (("ai_edge_litert.interpreter", "litert"),)}
FORMATS = tuple(EXTRAS)


def require_format(fmt):
    for module, extra in EXTRAS[fmt]:
        require_extra(module, extra)


class _Exports:
    """format -> exported model file of weights with the model options (CLI arguments), made
    when first asked for by ``mrcnn-tf export`` in a process of its own: the export of
    ResNet-101 at 1024 peaks at about 12 GB, which the test session's own memory must not
    be added to. The models the tests compare with are built in this process with the same
    options."""

    def __init__(self, weights, options, folder):
        self.weights, self.options, self.folder, self.paths = weights, options, folder, {}

    def __call__(self, fmt):
        require_format(fmt)
        if fmt not in self.paths:
            if fmt == "openvino":  # from the ONNX export (what export --format openvino does)
                from mrcnn_tf.export.portable import openvino_from_onnx

                self.paths[fmt] = openvino_from_onnx(self("onnx"), self.folder / fmt)
            else:
                out = self.folder / fmt
                done = subprocess.run(
                    [sys.executable, "-m", "mrcnn_tf.cli.main", "export", "--weights",
                     str(self.weights), "--format", fmt, "--out", str(out), *self.options],
                    capture_output=True, text=True, timeout=1800, cwd=REPO)
                assert done.returncode == 0, done.stderr[-3000:]
                with open(out / "portable.json", encoding="utf8") as f:
                    self.paths[fmt] = str(out / json.load(f)["model"])
        return self.paths[fmt]


def cli_options(fields) -> list:
    """mrcnn-tf export's model options for the Config fields used here (the sizes only when
    they are not the command's defaults, 800 / 1024, which --image-*-dim would refuse: 800 is
    no multiple of 64)."""
    from mrcnn_tf.cli.model_setup import DEFAULT_DIMS

    options = ["--min-score", str(fields["DETECTION_MIN_CONFIDENCE"])]
    for field, option in (("IMAGE_MIN_DIM", "--image-min-dim"),
                          ("IMAGE_MAX_DIM", "--image-max-dim")):
        if fields[field] != DEFAULT_DIMS[field]:
            options += [option, str(fields[field])]
    return options


@pytest.fixture(scope="session")
def r101_parity_model(r101_weights):
    import mrcnn_tf

    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.Config(**R101_CONFIG))
    report = model.load_weights(r101_weights)
    assert not report.missing and not report.unused
    return model


@pytest.fixture(scope="session")
def r101_exports(r101_weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("r101_exports")
    return _Exports(r101_weights, cli_options(R101_CONFIG), folder)


@pytest.fixture(scope="session")
def tv_v2_small_model(tv_v2_weights):
    import mrcnn_tf

    return mrcnn_tf.MaskRCNN.from_weights(tv_v2_weights, **TV_SMALL)


@pytest.fixture(scope="session")
def tv_v2_exports(tv_v2_weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tv_v2_exports")
    return _Exports(tv_v2_weights, cli_options(TV_SMALL), folder)


# a small matterport model (ResNet-50, 256, min score 0.3) for the error and CLI tests
SMALL_CONFIG = dict(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                    IMAGE_MAX_DIM=256, DETECTION_MIN_CONFIDENCE=0.3)


@pytest.fixture(scope="session")
def small_portable_model(r50_weights):
    import mrcnn_tf

    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(**SMALL_CONFIG))
    model.load_weights(r50_weights)
    return model


@pytest.fixture(scope="session")
def small_exports(r50_weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("small_exports")
    return _Exports(r50_weights, cli_options(SMALL_CONFIG), folder)
