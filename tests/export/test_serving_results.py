"""results_from_serving: every form of the serving answer back to detect()'s result dicts."""
from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.export import results_from_serving
from tests.helpers import require_extra

IMAGE_SHAPES = [(101, 201, 3), (51, 61, 3)]


def _outputs():
    """A batch of two: image 0 has two detections (one padding row after them), image 1 none.

    Boxes use the package's normalization, pixel = normalized * (size - 1) (+ 1 for y2, x2):
    (0.1, 0.2, 0.5, 0.6) on 101x201 is pixels (10, 40, 51, 121).
    """
    boxes = np.zeros((2, 3, 4), np.float32)
    boxes[0, 0] = [0.1, 0.2, 0.5, 0.6]
    boxes[0, 1] = [0.0, 0.0, 1.0, 1.0]
    masks = np.zeros((2, 3, 28, 28), np.float32)
    masks[0, 0] = 1.0       # the whole box
    masks[0, 1, :14] = 0.9  # the top half of the image
    return {"num_detections": np.array([2, 0], np.int32),
            "detection_boxes": boxes,
            "detection_classes": np.array([[3, 7, 0], [0, 0, 0]], np.int32),
            "detection_scores": np.array([[0.9, 0.8, 0], [0, 0, 0]], np.float32),
            "detection_masks": masks,
            "detection_class_names": np.array([[b"car", b"train", b""], [b"", b"", b""]])}


def _check(results):
    first, second = results
    np.testing.assert_array_equal(first["rois"], [[10, 40, 51, 121], [0, 0, 101, 201]])
    assert first["rois"].dtype == np.int32 and first["class_ids"].dtype == np.int32
    np.testing.assert_array_equal(first["class_ids"], [3, 7])
    np.testing.assert_allclose(first["scores"], [0.9, 0.8])
    assert first["scores"].dtype == np.float32
    assert first["masks"].shape == (101, 201, 2) and first["masks"].dtype == bool
    assert first["masks"][..., 0].sum() == 41 * 81
    assert first["masks"][10:51, 40:121, 0].all()
    assert first["masks"][1:50, 10:-10, 1].all() and not first["masks"][50:, :, 1].any()
    assert second["rois"].shape == (0, 4) and second["masks"].shape == (51, 61, 0)


def test_from_tensors_as_tf_saved_model_load_returns_them():
    _check(results_from_serving({k: tf.constant(v) for k, v in _outputs().items()},
                                IMAGE_SHAPES))


def _json(value):
    return json.loads(json.dumps(value))


def test_from_rest_row_format():
    outputs = _outputs()
    rows = [{k: (v[i].astype(str) if v.dtype.kind == "S" else v[i]).tolist()
             for k, v in outputs.items()} for i in range(2)]
    _check(results_from_serving(_json({"predictions": rows}), IMAGE_SHAPES))
    _check(results_from_serving(_json(rows), IMAGE_SHAPES))


def test_from_rest_column_format():
    outputs = {k: v.astype(str).tolist() if v.dtype.kind == "S" else v.tolist()
               for k, v in _outputs().items()}
    _check(results_from_serving(_json({"outputs": outputs}), IMAGE_SHAPES))


def test_from_grpc_tensor_protos():
    predict_pb2 = require_extra("tensorflow_serving.apis.predict_pb2", "serving")
    response = predict_pb2.PredictResponse()
    for name, value in _outputs().items():
        response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
    _check(results_from_serving(response.outputs, IMAGE_SHAPES))


def test_image_masks_are_taken_as_they_are():
    outputs = _outputs()
    full = np.zeros((1, 2, 101, 201), np.uint8)
    full[0, 0, 5:9, 6:8] = 1
    outputs = {k: v[:1] for k, v in outputs.items()}
    outputs["detection_masks"] = full
    result = results_from_serving(outputs, IMAGE_SHAPES[:1])[0]
    assert result["masks"].shape == (101, 201, 2)
    assert result["masks"][..., 0].sum() == 8 and not result["masks"][..., 1].any()
    forced = results_from_serving(outputs, IMAGE_SHAPES[:1], mask_format="image")[0]
    np.testing.assert_array_equal(forced["masks"], result["masks"])


def test_detections_without_area_are_dropped_as_detect_drops_them():
    outputs = _outputs()
    outputs["detection_boxes"][0, 0] = [0.5, 0.5, 0.3, 0.7]  # y2 < y1
    result = results_from_serving(outputs, IMAGE_SHAPES)[0]
    np.testing.assert_array_equal(result["class_ids"], [7])


def test_bad_answers_are_named():
    outputs = _outputs()
    del outputs["detection_masks"]
    with pytest.raises(ValueError, match="missing detection_masks"):
        results_from_serving(outputs, IMAGE_SHAPES)
    with pytest.raises(ValueError, match="1 shapes for a batch of 2"):
        results_from_serving(_outputs(), IMAGE_SHAPES[:1])
    with pytest.raises(ValueError, match="mask_format"):
        results_from_serving(_outputs(), IMAGE_SHAPES, mask_format="polygon")
    with pytest.raises(ValueError, match="expected a dict of outputs"):
        results_from_serving("not an answer", IMAGE_SHAPES)


def test_an_unknown_family_is_named():
    with pytest.raises(ValueError, match="no model family is called 'tv'; known: matterport"):
        results_from_serving(_outputs(), IMAGE_SHAPES, family="tv")
