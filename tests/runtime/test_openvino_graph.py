"""runtime.openvino_graph.make_topk_stable: OpenVINO's TopK, read from ONNX, takes equal values
in index order afterwards, as ONNX and TensorFlow do (the cause of issue 29's OpenVINO
disagreement on matterport ResNet-101 at 1024)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import require_extra

SIZE, K = 5000, 1000


def _write_topk_onnx(path, name="topk"):
    """An ONNX model at path: x float32 [SIZE] -> TopK(x, K) as node `name`, its outputs
    NAME:0 (values) and NAME:1 (int64 indices), as tf2onnx names them."""
    require_extra("onnx", "onnx")
    import onnx
    from onnx import TensorProto, helper

    values, indices = f"{name}:0", f"{name}:1"
    graph = helper.make_graph(
        [helper.make_node("TopK", ["x", "k"], [values, indices], axis=0, name=name)], "topk",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [SIZE])],
        [helper.make_tensor_value_info(values, TensorProto.FLOAT, [K]),
         helper.make_tensor_value_info(indices, TensorProto.INT64, [K])],
        [helper.make_tensor("k", TensorProto.INT64, [1], [K])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


@pytest.fixture
def topk_onnx(tmp_path):
    return _write_topk_onnx(tmp_path / "topk.onnx")


def _run(model, data):
    import openvino

    result = openvino.Core().compile_model(model, "CPU").create_infer_request().infer(
        {0: data})
    return [np.asarray(value) for value in result.values()]


def test_ties_come_out_in_index_order(topk_onnx):
    require_extra("openvino", "openvino")
    import openvino

    from mrcnn_tf.runtime.openvino_graph import make_topk_stable

    # five distinct values over 5000 entries: every value is a tie of about 1000 entries
    data = np.round(np.random.default_rng(0).random(SIZE) * 4).astype(np.float32) / 4
    model = openvino.Core().read_model(str(topk_onnx))
    assert make_topk_stable(model) == 1
    assert make_topk_stable(model) == 0  # already stable: nothing to replace
    values, indices = _run(model, data)
    expected = np.argsort(-data, kind="stable")[:K]
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_array_equal(values, data[expected])


def test_openvino_session_runs_topk_stable(topk_onnx, tmp_path):
    """The runtime's OpenVINO session reads an IR converted by OpenVINO itself (its TopK
    unstable in the file) and compiles it stable."""
    require_extra("openvino", "openvino")
    import openvino

    from mrcnn_tf.runtime.backends import OpenVinoSession

    xml = tmp_path / "topk.xml"
    openvino.save_model(openvino.convert_model(str(topk_onnx)), str(xml))
    assert [op.get_attributes()["stable"] for op in openvino.Core().read_model(str(xml))
            .get_ordered_ops() if op.get_type_name() == "TopK"] == [False]
    data = np.round(np.random.default_rng(1).random(SIZE) * 4).astype(np.float32) / 4
    result = OpenVinoSession(xml).compiled.create_infer_request().infer({0: data})
    indices = [np.asarray(value) for value in result.values()][1]
    np.testing.assert_array_equal(indices, np.argsort(-data, kind="stable")[:K])


def test_exported_ir_holds_stable_topk(small_exports):
    """mrcnn-tf export --format openvino writes the IR with its TopK nodes stable (but the
    tie-free ones), so that OpenVINO used directly (not through mrcnn_tf.runtime) computes
    detect()'s proposals."""
    require_extra("openvino", "openvino")
    import openvino

    from mrcnn_tf.runtime.openvino_graph import is_tie_free

    model = openvino.Core().read_model(str(small_exports("openvino")))
    topk = [op for op in model.get_ordered_ops() if op.get_type_name() == "TopK"]
    stable = [op.get_attributes()["stable"] for op in topk if not is_tie_free(op)]
    assert stable and all(stable), stable
    # the RPN's two long ones stay as OpenVINO made them (index_order_top_k)
    assert sum(is_tie_free(op) for op in topk) == 2


def test_tie_free_topk_is_left_as_it_is(tmp_path):
    """A TopK named tie_free_top_k (the portable graph's long ones, whose tie order cannot
    change the result) stays as OpenVINO made it: its stable kernel is slow on long inputs."""
    require_extra("openvino", "openvino")
    import openvino

    from mrcnn_tf.runtime.openvino_graph import make_topk_stable

    path = _write_topk_onnx(tmp_path / "tie_free.onnx", "ROI/tie_free_top_k")
    model = openvino.Core().read_model(str(path))
    assert make_topk_stable(model) == 0


def test_index_order_top_k_in_openvino_equals_tensorflow(tmp_path):
    """layers.portable_layers.index_order_top_k converted to ONNX and run by OpenVINO, its two
    long TopK nodes left unstable: the answer is still tf.math.top_k's on values full of ties."""
    require_extra("tf2onnx", "onnx")
    require_extra("openvino", "openvino")
    import openvino
    import tensorflow as tf
    import tf2onnx

    from mrcnn_tf.layers.portable_layers import index_order_top_k
    from mrcnn_tf.runtime.openvino_graph import make_topk_stable

    spec = [tf.TensorSpec([SIZE], tf.float32, name="x")]
    function = tf.function(lambda x: index_order_top_k(x, K), input_signature=spec)
    path = tmp_path / "index_order.onnx"
    tf2onnx.convert.from_function(function, input_signature=spec, opset=17,
                                  output_path=str(path))
    model = openvino.Core().read_model(str(path))
    assert make_topk_stable(model) == 1  # the last, short one; the two long ones stay
    data = np.round(np.random.default_rng(2).random(SIZE) * 4).astype(np.float32) / 4
    result = openvino.Core().compile_model(model, "CPU").create_infer_request().infer({0: data})
    outputs = [np.asarray(value) for value in result.values()]
    values, indices = tf.math.top_k(data, K)
    assert any(np.array_equal(out, indices) for out in outputs), "indices differ"
    assert any(np.array_equal(out, values) for out in outputs), "values differ"
