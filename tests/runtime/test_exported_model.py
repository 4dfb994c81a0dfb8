"""What an exported ONNX file holds: the weights, not tensors the converter folded from the
graph's own shapes (a zeros tensor [1000, 7, 7, 256] once took 50 MB of a model file)."""
from __future__ import annotations

import numpy as np

from tests.runtime.conftest import require_format

LARGE = 2**20  # elements: 4 MB of float32


def test_onnx_file_holds_no_large_constant_of_zeros(small_exports):
    require_format("onnx")
    import onnx
    from onnx import numpy_helper

    model = onnx.load(small_exports("onnx"))
    zeros = [f"{tensor.name} {list(tensor.dims)}" for tensor in model.graph.initializer
             if np.prod(tensor.dims, dtype=np.int64) >= LARGE
             and not np.any(numpy_helper.to_array(tensor))]
    assert not zeros, f"constants of zeros in the ONNX file: {zeros}"
    weights = [t for t in model.graph.initializer if np.prod(t.dims, dtype=np.int64) >= LARGE]
    assert weights, "no large initializer at all: the check above would see nothing"
