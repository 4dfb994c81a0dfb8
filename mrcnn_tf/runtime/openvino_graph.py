"""Fixes to an OpenVINO model read from the portable graph's ONNX file, so that OpenVINO
computes what TensorFlow computes. No TensorFlow.

OpenVINO's ONNX reader turns ONNX ``TopK`` into a TopK whose ``stable`` attribute is false, so
equal values come out in any order. ONNX's TopK (and TensorFlow's ``top_k``) puts the lower
index first. The proposal layer's top_k over the RPN scores meets many ties (softmax scores that
round to the same float32), and an unstable order picks other anchors for the same scores:
the proposals, then the detections, differ (matterport ResNet-101 at 1024, issue 29).

OpenVINO's stable TopK is slow on long inputs (6.7 s for 6000 of 261888 RPN scores on a 2-core
Xeon), so the portable graph picks the RPN's top scores with top_k ops whose tie order cannot
change the result (layers.portable_layers.index_order_top_k) and names them
``tie_free_top_k``; those are left as they are.
"""
from __future__ import annotations


def _opset():
    try:
        from openvino import opset11
    except ImportError:  # OpenVINO before 2024.4 keeps the opsets under openvino.runtime
        from openvino.runtime import opset11
    return opset11


TIE_FREE = "tie_free_top_k"  # layers.portable_layers.TIE_FREE_TOP_K (no TensorFlow here)


def is_tie_free(node) -> bool:
    """True for a node whose name, or one of its output tensors' names, says tie_free_top_k
    (OpenVINO names a node after its ONNX node or its output, by context)."""
    names = {node.get_friendly_name()}
    for index in range(node.get_output_size()):
        names |= set(node.output(index).get_names())
    return any(TIE_FREE in name for name in names)


def make_topk_stable(model) -> int:
    """Replace every unstable TopK node of model (an openvino.Model, changed in place) with a
    stable one (same inputs, axis, mode, sort and index type), except those named TIE_FREE;
    returns how many it replaced."""
    topk = _opset().topk
    replaced = 0
    for node in model.get_ordered_ops():
        attributes = node.get_attributes()
        if (node.get_type_name() != "TopK" or attributes.get("stable", False)
                or is_tie_free(node)):
            continue
        stable = topk(node.input_value(0), node.input_value(1), attributes["axis"],
                      attributes["mode"], attributes["sort"],
                      attributes.get("index_element_type", "i32"), True)
        stable.set_friendly_name(node.get_friendly_name())
        for index in range(node.get_output_size()):
            node.output(index).replace(stable.output(index))
        replaced += 1
    if replaced:
        model.validate_nodes_and_infer_types()
    return replaced
