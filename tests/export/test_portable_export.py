"""The portable graph (export.portable): made of ops every converter maps (no loops, no
CropAndResize, no strings), written whole or not at all, and mrcnn-tf export --format."""
from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

from tests.runtime.conftest import SMALL_CONFIG, require_format

# ops the portable graph must not hold (while loops and map_fn, CropAndResize, stitching,
# the combined NMS no converter maps, strings)
FORBIDDEN = {"While", "StatelessWhile", "TensorListReserve", "TensorListFromTensor",
             "CropAndResize", "DynamicStitch", "ParallelDynamicStitch",
             "CombinedNonMaxSuppression", "NonMaxSuppressionV3", "NonMaxSuppressionV5",
             "StringFormat", "AsString"}


@pytest.fixture(scope="module")
def small_model(r50_weights):
    import mrcnn_tf

    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(**SMALL_CONFIG))
    model.load_weights(r50_weights)
    return model


@pytest.fixture(scope="module")
def tv_small_model(tv_v1_weights):
    import mrcnn_tf

    return mrcnn_tf.MaskRCNN.from_weights(tv_v1_weights, IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=320,
                                          DETECTION_MIN_CONFIDENCE=0.3)


def _graph_ops(model):
    from mrcnn_tf.export.portable import portable_function

    graph = portable_function(model).get_concrete_function().graph
    ops = {op.type: op for op in graph.get_operations()}
    return graph, ops


@pytest.mark.parametrize("family", ["matterport", "torchvision"])
def test_graph_is_portable(small_model, tv_small_model, family):
    import tensorflow as tf

    model = small_model if family == "matterport" else tv_small_model
    graph, ops = _graph_ops(model)
    assert not FORBIDDEN & set(ops), f"{family}: {sorted(FORBIDDEN & set(ops))}"
    assert not [t for op in graph.get_operations() for t in op.outputs
                if t.dtype == tf.string], "string tensors in the graph"
    assert "NonMaxSuppressionV4" in ops
    inputs = [t.shape.as_list() for t in graph.inputs if t.dtype == tf.float32]
    inputs = [shape for shape in inputs if shape and shape[0] == 1]  # not the captures
    if family == "matterport":  # one fixed size, anchors a constant
        assert [len(shape) for shape in inputs] == [4, 2], inputs
        assert all(None not in shape for shape in inputs), inputs
    else:  # torchvision: the image at its own molded size, and its anchors
        assert [len(shape) for shape in inputs] == [4, 2, 3], inputs


def test_failed_export_leaves_nothing(small_model, tmp_path, monkeypatch):
    from mrcnn_tf.export import portable

    def broken(function, path):
        with open(path, "wb") as f:
            f.write(b"half a model")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(portable, "_write_onnx", broken)
    out = tmp_path / "exported"
    with pytest.raises(OSError):
        portable.export_portable(small_model, out, "onnx")
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_refused(small_model, tmp_path):
    from mrcnn_tf.export.portable import export_portable

    with pytest.raises(ValueError, match="format"):
        export_portable(small_model, tmp_path / "x", "tfjs")
    assert not (tmp_path / "x").exists()


def test_cli_export_litert_then_detect(r50_weights, tmp_path):
    require_format("litert")
    from mrcnn_tf.cli.main import main

    out = tmp_path / "litert"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["export", "--weights", str(r50_weights), "--format", "litert", "--out",
                     str(out), "--image-max-dim", "256", "--image-min-dim", "256",
                     "--min-score", "0.3"])
    assert code == 0, err.getvalue()
    assert sorted(os.listdir(out)) == ["class_names.txt", "model.tflite", "mrcnn_config.json",
                                       "portable.json"]
    with open(out / "portable.json") as f:
        assert json.load(f)["input_shape"] == [1, 256, 256, 3]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        again = main(["export", "--weights", str(r50_weights), "--format", "litert", "--out",
                      str(out), "--image-max-dim", "256", "--image-min-dim", "256"])
    assert again != 0 and "exists" in err.getvalue()  # no --overwrite: refused, left alone
    assert (out / "model.tflite").stat().st_size > 1_000_000
