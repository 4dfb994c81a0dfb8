"""The SavedModel, loaded in a fresh process, answers as detect() does (parity criterion)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.export import results_from_serving
from tests.export.conftest import decode_like_tensorflow, run_signatures

BYTES_BATCH = ("chelsea", "camera", "astronaut_crop", "coffee")  # four sizes in one batch
TENSOR_BATCH = ("chelsea", "coffee_crop")  # one size
IMAGE_MODE_MAX_DETECTIONS = 40  # what the CLI export below is given


@pytest.fixture(scope="module")
def served(box_export, image_export, serving_images, tmp_path_factory):
    image_dir = image_export[0]
    decoded = {name: decode_like_tensorflow(serving_images[name]) for name in TENSOR_BATCH}
    calls = {
        "box_bytes": (box_export, "serving_default", "image_bytes",
                      [serving_images[name] for name in BYTES_BATCH]),
        "box_tensor": (box_export, "serving_image_tensor", "images",
                       np.stack([decoded[name] for name in TENSOR_BATCH])),
        "image_bytes": (image_dir, "serving_default", "image_bytes", [serving_images["coffee"]]),
        "image_tensor": (image_dir, "serving_image_tensor", "images", decoded["chelsea"][None]),
        "image_two": (image_dir, "serving_default", "image_bytes",
                      [serving_images["chelsea"], serving_images["coffee"]]),
    }
    return run_signatures(calls, tmp_path_factory.mktemp("served"),
                          attributes={"class_names": (box_export, "class_names")})


def _shapes(serving_images, names):
    return [decode_like_tensorflow(serving_images[name]).shape for name in names]


def _first(result, count):
    """The first ``count`` detections of a detect() result."""
    return {"rois": result["rois"][:count], "class_ids": result["class_ids"][:count],
            "scores": result["scores"][:count], "masks": result["masks"][..., :count]}


def _assert_agree(references, names, results, limit=None):
    assert len(results) == len(names)
    for name, reference, ours in zip(names, references(names), results):
        reference = reference if limit is None else _first(reference, limit)
        agreement = compare_detections(reference, ours, reference["masks"].shape[:2])
        assert agreement.passes(), f"{name}: {agreement}"


def test_bytes_signature_matches_detect_on_mixed_sizes(served, references, serving_images):
    outputs = served["box_bytes"]
    assert "error" not in outputs, outputs.get("error")
    results = results_from_serving(outputs, _shapes(serving_images, BYTES_BATCH))
    _assert_agree(references, BYTES_BATCH, results)


def test_tensor_signature_matches_detect(served, references, serving_images):
    outputs = served["box_tensor"]
    assert "error" not in outputs, outputs.get("error")
    results = results_from_serving(outputs, _shapes(serving_images, TENSOR_BATCH))
    _assert_agree(references, TENSOR_BATCH, results)


def test_outputs_follow_the_documented_contract(served):
    outputs = served["box_bytes"]
    batch, rows = len(BYTES_BATCH), 100
    assert outputs["num_detections"].dtype == np.int32
    assert outputs["num_detections"].shape == (batch,)
    assert outputs["detection_boxes"].dtype == np.float32
    assert outputs["detection_boxes"].shape == (batch, rows, 4)
    assert outputs["detection_classes"].dtype == np.int32
    assert outputs["detection_scores"].shape == (batch, rows)
    assert outputs["detection_masks"].dtype == np.float32
    assert outputs["detection_masks"].shape == (batch, rows, 28, 28)
    for i, count in enumerate(outputs["num_detections"]):
        classes = outputs["detection_classes"][i]
        assert (classes[:count] > 0).all() and not classes[count:].any()
        assert not outputs["detection_boxes"][i, count:].any()
        boxes = outputs["detection_boxes"][i, :count]
        assert (boxes >= -1e-6).all() and (boxes <= 1 + 1e-6).all()
        assert (boxes[:, 2:] >= boxes[:, :2]).all()
        names = outputs["detection_class_names"][i]
        assert list(names[:count]) == [COCO_CLASS_NAMES[c] for c in classes[:count]]
        assert not any(names[count:])


def test_image_masks_match_detect(served, references, serving_images):
    for key, name in (("image_bytes", "coffee"), ("image_tensor", "chelsea")):
        outputs = served[key]
        assert "error" not in outputs, outputs.get("error")
        height, width = decode_like_tensorflow(serving_images[name]).shape[:2]
        count = int(outputs["num_detections"][0])
        assert count <= IMAGE_MODE_MAX_DETECTIONS
        assert outputs["detection_boxes"].shape == (1, IMAGE_MODE_MAX_DETECTIONS, 4)
        assert outputs["detection_masks"].dtype == np.uint8
        assert outputs["detection_masks"].shape == (1, count, height, width)
        assert set(np.unique(outputs["detection_masks"])) <= {0, 1}
        results = results_from_serving(outputs, [(height, width, 3)])
        _assert_agree(references, [name], results, limit=IMAGE_MODE_MAX_DETECTIONS)


def test_image_masks_need_one_image_per_request(served):
    assert "one image per request" in str(served["image_two"].get("error"))


def _signatures(cli_output):
    """saved_model_cli's text -> {signature: {"inputs"|"outputs": {name: (dtype, shape)}}}."""
    found = {}
    for block in re.split(r"\nsignature_def\['", cli_output)[1:]:
        name = block.split("'", 1)[0]
        found[name] = {"inputs": {}, "outputs": {}}
        for kind, key, dtype, shape in re.findall(
                r"(inputs|outputs)\['([^']+)'\] tensor_info:\s+dtype: (\w+)\s+shape: ([^\n]+)",
                block):
            found[name][kind][key] = (dtype, shape.strip())
    return found


def saved_model_cli() -> list:
    """TensorFlow's saved_model_cli for the python running the tests: the console script
    beside sys.executable (an environment's bin/, activated or not), else the module that
    script runs. Never the PATH's: that may be another python's TensorFlow, or none."""
    script = Path(sys.executable).parent / "saved_model_cli"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]


def _saved_model_cli(version_dir):
    # PATH without this python's bin/, as in an environment that is not activated
    env = {**os.environ, "PATH": os.defpath}
    done = subprocess.run([*saved_model_cli(), "show", "--dir", str(version_dir), "--all"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return _signatures(done.stdout)


def test_saved_model_cli_lists_both_signatures(box_export):
    signatures = _saved_model_cli(box_export)
    outputs = {"num_detections": ("DT_INT32", "(-1)"),
               "detection_boxes": ("DT_FLOAT", "(-1, 100, 4)"),
               "detection_classes": ("DT_INT32", "(-1, 100)"),
               "detection_scores": ("DT_FLOAT", "(-1, 100)"),
               "detection_class_names": ("DT_STRING", "(-1, 100)"),
               "detection_masks": ("DT_FLOAT", "(-1, 100, 28, 28)")}
    assert signatures["serving_default"] == {
        "inputs": {"image_bytes": ("DT_STRING", "(-1)")}, "outputs": outputs}
    assert signatures["serving_image_tensor"] == {
        "inputs": {"images": ("DT_UINT8", "(-1, -1, -1, 3)")}, "outputs": outputs}


def test_saved_model_cli_shows_image_mask_signatures(image_export):
    signatures = _saved_model_cli(image_export[0])
    assert signatures["serving_default"]["inputs"] == {"image_bytes": ("DT_STRING", "(-1)")}
    assert signatures["serving_image_tensor"]["inputs"] == {
        "images": ("DT_UINT8", "(-1, -1, -1, 3)")}
    for name in ("serving_default", "serving_image_tensor"):
        outputs = signatures[name]["outputs"]
        assert outputs["detection_masks"] == ("DT_UINT8", "(1, -1, -1, -1)")  # one image
        assert outputs["detection_boxes"] == ("DT_FLOAT", "(-1, 40, 4)")
        assert outputs["num_detections"] == ("DT_INT32", "(-1)")


def test_class_names_are_stored(served, box_export):
    assert list(served["class_names"]["value"]) == list(COCO_CLASS_NAMES)
    names = (box_export / "assets" / "class_names.txt").read_text().splitlines()
    assert names == list(COCO_CLASS_NAMES)


def test_layout_tf_serving_loads(box_export):
    assert box_export.name == "1"
    assert (box_export / "saved_model.pb").is_file()
    assert (box_export / "variables" / "variables.index").is_file()
    assert (box_export / "assets" / "mrcnn_config.json").is_file()
    assert sorted(p.name for p in box_export.parent.iterdir()) == ["1"]  # no partial dirs


def test_cli_reports_the_export(image_export):
    version_dir, printed = image_export
    assert f"exported {version_dir}" in printed
    assert "resnet50, 81 classes" in printed and "MiB" in printed
