"""INT8 OpenVINO by NNCF (mrcnn-tf export --format openvino --precision int8) and its agreement
gate: the IR holds quantized ops (a float32 one does not), the gate refuses on one line and
leaves nothing, a model that passes runs through runtime.load().detect, CLI option errors.

The weights are the random r50 parity weights (ResNet-50, 256, min score 0.3). Their
detections sit on knife edges, so INT8 disagrees with float32 on any picture where float32
finds something (measured: 1 of 100 astronaut detections matched). The passing model is
calibrated and checked on pictures where neither finds anything (skimage's moon and brick);
the refusing one on astronaut among black images: averaged over mostly-black inputs, the
activation ranges clip astronaut's (a deliberately bad calibration).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import REPO, require_extra, skimage_image
from tests.runtime.conftest import SMALL_CONFIG, cli_options

QUANTIZED_OPS = ("FakeQuantize", "FakeConvert")


def _write_png(path, pixels):
    import cv2

    assert cv2.imwrite(str(path), np.ascontiguousarray(pixels[..., ::-1]))


def _op_types(xml_path) -> set:
    import openvino

    model = openvino.Core().read_model(str(xml_path))
    return {op.get_type_name() for op in model.get_ordered_ops()}


def _int8_constants(xml_path) -> int:
    import openvino

    model = openvino.Core().read_model(str(xml_path))
    return sum(1 for op in model.get_ordered_ops() if op.get_type_name() == "Constant"
               and op.get_output_element_type(0).get_type_name() in ("i8", "u8"))


@pytest.fixture(scope="module")
def float_ir(small_exports, tmp_path_factory):
    """The small model's float32 OpenVINO export (from the ONNX one, as export does)."""
    require_extra("nncf", "openvino")
    from mrcnn_tf.export.portable import openvino_from_onnx

    folder = tmp_path_factory.mktemp("int8") / "float32"
    openvino_from_onnx(small_exports("onnx"), folder)
    return folder


@pytest.fixture(scope="module")
def passing_int8(float_ir, tmp_path_factory):
    """(folder, agreement line) of the INT8 model calibrated and checked on moon and brick."""
    from mrcnn_tf.export.quantize import int8_from_openvino

    out = tmp_path_factory.mktemp("int8_pass") / "int8"
    images = [(name, skimage_image(name)) for name in ("moon", "brick")]
    path, line = int8_from_openvino(float_ir, out, images, calibration="test")
    return out, path, line


def test_int8_ir_holds_quantized_ops_and_float32_does_not(float_ir, passing_int8):
    _, path, _ = passing_int8
    assert _op_types(path) & set(QUANTIZED_OPS), "no FakeQuantize in the INT8 IR"
    assert _int8_constants(path) > 0, "no i8 / u8 weights in the INT8 IR"
    assert not _op_types(float_ir / "model.xml") & set(QUANTIZED_OPS)
    assert _int8_constants(float_ir / "model.xml") == 0


def test_int8_export_records_precision_and_agreement(float_ir, passing_int8):
    folder, _, line = passing_int8
    with open(folder / "portable.json", encoding="utf8") as f:
        meta = json.load(f)
    assert meta["precision"] == "int8" and meta["format"] == "openvino"
    assert meta["agreement"] == line and line.startswith("INT8 agrees with float32 on 2 of 2")
    assert sorted(os.listdir(folder)) == sorted(os.listdir(float_ir))


def test_int8_model_runs_through_runtime_detect(passing_int8):
    from mrcnn_tf import runtime

    folder, path, _ = passing_int8
    model = runtime.load(folder)
    assert model.kind == "openvino" and len(model.class_names) == 81
    image = skimage_image("astronaut")
    result = model.detect([image])[0]
    assert set(result) == {"rois", "class_ids", "scores", "masks"}
    count = len(result["class_ids"])
    assert result["rois"].shape == (count, 4)
    assert result["scores"].shape == (count,) and np.all(result["scores"] >= 0.3)
    assert result["masks"].shape == image.shape[:2] + (count,)
    assert np.all((result["class_ids"] >= 1) & (result["class_ids"] < 81))


def test_openvino_runs_int8_kernels_with_the_runtime_config(passing_int8):
    """runtime.load's session (INFERENCE_PRECISION_HINT f32) still runs the convolutions
    and fully connected layers in u8 / i8: the hint does not turn quantized layers back."""
    from mrcnn_tf import runtime

    folder, _, _ = passing_int8
    compiled = runtime.load(folder)._session.compiled
    precisions = {}
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        kind = info["layerType"].astype(str) if "layerType" in info else op.get_type_name()
        if kind in ("Convolution", "FullyConnected"):
            precision = info["runtimePrecision"].astype(str)
            precisions[precision] = precisions.get(precision, 0) + 1
    quantized = precisions.get("u8", 0) + precisions.get("i8", 0)
    assert quantized > 0.9 * sum(precisions.values()), precisions


def _cli_export(options):
    return subprocess.run([sys.executable, "-m", "mrcnn_tf.cli.main", "export", *options],
                          capture_output=True, text=True, timeout=900, cwd=REPO)


def _error_lines(stderr):
    return [line for line in stderr.splitlines() if "mrcnn-tf export: error" in line]


def test_cli_gate_refusal_exits_1_and_writes_nothing(r50_weights, tmp_path):
    require_extra("nncf", "openvino")
    images = tmp_path / "calibration"
    images.mkdir()
    _write_png(images / "astronaut.png", skimage_image("astronaut"))
    for i in range(3):
        _write_png(images / f"black{i}.png", np.zeros((256, 256, 3), np.uint8))
    out = tmp_path / "out" / "int8"
    done = _cli_export(["--weights", str(r50_weights), "--format", "openvino", "--precision",
                        "int8", "--calibration-images", str(images), "--out", str(out),
                        *cli_options(SMALL_CONFIG)])
    assert done.returncode == 1, done.stderr[-3000:]
    lines = _error_lines(done.stderr)
    assert len(lines) == 1 and "INT8 disagrees with float32" in lines[0], done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not out.parent.exists() or os.listdir(out.parent) == []


def _run_cli(argv):
    from mrcnn_tf.cli.main import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, [line for line in err.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("options, expected", [
    (["--format", "onnx", "--precision", "int8"], "--precision int8 is for --format openvino"),
    (["--precision", "int8"], "--precision int8 is for --format openvino"),
    (["--format", "openvino", "--calibration-images", "."], "is for --precision int8"),
    (["--format", "openvino", "--precision", "int8", "--calibration-images", "{missing}"],
     "no such folder"),
    (["--format", "openvino", "--precision", "int8", "--calibration-images", "{empty}"],
     "no .jpg or .png images"),
])
def test_cli_int8_option_errors_exit_2_in_one_line(r50_weights, tmp_path, options, expected):
    require_extra("nncf", "openvino")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not an image")
    options = [o.format(missing=tmp_path / "missing", empty=tmp_path / "empty")
               for o in options]
    out = tmp_path / "out"
    code, lines = _run_cli(["export", "--weights", str(r50_weights), "--out", str(out),
                            *options])
    assert code == 2 and len(lines) == 1 and expected in lines[0], lines
    assert not out.exists()


def test_cli_int8_without_nncf_names_the_extra(r50_weights, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nncf", None)  # import fails
    code, lines = _run_cli(["export", "--weights", str(r50_weights), "--out",
                            str(tmp_path / "out"), "--format", "openvino", "--precision",
                            "int8"])
    assert code == 2 and len(lines) == 1 and "[openvino]" in lines[0], lines
