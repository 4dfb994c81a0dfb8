"""Exported portable models for the runtime tests, each exported once per session."""
from __future__ import annotations

import pytest

from tests.helpers import require_extra

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
    """model -> format -> exported model file, made when first asked for."""

    def __init__(self, model, folder):
        self.model, self.folder, self.paths = model, folder, {}

    def __call__(self, fmt):
        require_format(fmt)
        if fmt not in self.paths:
            from mrcnn_tf.export.portable import export_portable, openvino_from_onnx
            if fmt == "openvino":  # from the ONNX export (what export --format openvino does)
                self.paths[fmt] = openvino_from_onnx(self("onnx"), self.folder / fmt)
            else:
                self.paths[fmt] = export_portable(self.model, self.folder / fmt, fmt)
        return self.paths[fmt]


@pytest.fixture(scope="session")
def r101_parity_model(r101_weights):
    import mrcnn_tf

    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.Config(**R101_CONFIG))
    report = model.load_weights(r101_weights)
    assert not report.missing and not report.unused
    return model


@pytest.fixture(scope="session")
def r101_exports(r101_parity_model, tmp_path_factory):
    return _Exports(r101_parity_model, tmp_path_factory.mktemp("r101_exports"))


@pytest.fixture(scope="session")
def tv_v2_small_model(tv_v2_weights):
    import mrcnn_tf

    return mrcnn_tf.MaskRCNN.from_weights(tv_v2_weights, **TV_SMALL)


@pytest.fixture(scope="session")
def tv_v2_exports(tv_v2_small_model, tmp_path_factory):
    return _Exports(tv_v2_small_model, tmp_path_factory.mktemp("tv_v2_exports"))


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
def small_exports(small_portable_model, tmp_path_factory):
    return _Exports(small_portable_model, tmp_path_factory.mktemp("small_exports"))
