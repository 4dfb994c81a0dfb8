"""mrcnn_tf.runtime without TensorFlow, and its one-line errors: a file of the wrong kind, a
truncated file, a runtime package that is not installed; mrcnn-tf detect --model."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mrcnn_tf.evaluation.agreement import compare_detections
from tests.helpers import REPO, skimage_image

NO_TF_SCRIPT = """
import sys
import numpy as np
import skimage.data
from mrcnn_tf import runtime
model = runtime.load(sys.argv[1])
result = model.detect([skimage.data.coffee()])[0]
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
print(len(result["class_ids"]), len(model.class_names), loaded)
"""


def test_runtime_runs_without_tensorflow(small_exports):
    path = small_exports("onnx")
    done = subprocess.run([sys.executable, "-c", NO_TF_SCRIPT, str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    count, names, loaded = done.stdout.strip().split(" ", 2)
    assert loaded == "[]", f"runtime imported {loaded}"
    assert int(names) == 81 and int(count) > 0


@pytest.fixture
def exported_copy(small_exports, tmp_path):
    """A copy of the small ONNX export's folder, free to damage."""
    folder = tmp_path / "copy"
    shutil.copytree(small_exports("onnx").rsplit("/", 1)[0], folder)
    return folder


def _one_line(error):
    text = str(error)
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("name, content", [
    ("model.onnx", b"<?xml version='1.0'?><net></net>"),  # an XML file called .onnx
    ("model.tflite", b"\x08\x07\x12\x04onnx not a flatbuffer at all" * 4),
    ("model.xml", b"\x08\x07\x12 binary, not XML"),
    ("model.pb", b"whatever"),
])
def test_wrong_kind_of_file_is_one_clear_line(exported_copy, name, content):
    from mrcnn_tf import runtime

    path = exported_copy / name
    path.write_bytes(content)
    if name == "model.xml":
        (exported_copy / "model.bin").write_bytes(b"\0" * 16)
    with pytest.raises(ValueError) as error:
        runtime.load(path)
    assert str(path) in _one_line(error.value)


def test_truncated_model_is_one_clear_line(exported_copy):
    from mrcnn_tf import runtime

    path = exported_copy / "model.onnx"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])
    with pytest.raises(ValueError) as error:
        runtime.load(path)
    assert str(path) in _one_line(error.value)


def test_missing_runtime_names_the_extra(exported_copy, monkeypatch):
    from mrcnn_tf import runtime

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with pytest.raises(ImportError) as error:
        runtime.load(exported_copy / "model.onnx")
    text = _one_line(error.value)
    assert str(exported_copy / "model.onnx") in text and "[onnx]" in text


def _run_cli(argv):
    from mrcnn_tf.cli.main import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue()


def test_cli_detect_with_bad_model_exits_2(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"<html>not a model</html>")
    image = tmp_path / "coffee.jpg"
    shutil.copy(REPO / "samples" / "images" / "coffee.jpg", image)
    code, err = _run_cli(["detect", str(image), "--model", str(bad), "--out",
                          str(tmp_path / "out"), "-q"])
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and str(bad) in lines[0], err


def test_cli_detect_with_exported_model_equals_detect(small_exports, small_portable_model,
                                                      tmp_path):
    image = tmp_path / "coffee.png"
    pixels = skimage_image("coffee")
    import cv2
    cv2.imwrite(str(image), pixels[..., ::-1])
    code, err = _run_cli(["detect", str(image), "--model", small_exports("onnx"), "--out",
                          str(tmp_path / "out"), "-q", "--no-draw"])
    assert code == 0, err
    from mrcnn_tf.results import from_record
    with open(tmp_path / "out" / "coffee.json") as f:
        ours = from_record(json.load(f))
    reference = small_portable_model.detect([pixels])[0]
    assert len(reference["class_ids"]) > 0
    agreement = compare_detections(reference, ours, pixels.shape[:2])
    assert agreement.passes(), str(agreement)
    assert np.array_equal(np.sort(ours["class_ids"]), np.sort(reference["class_ids"]))
