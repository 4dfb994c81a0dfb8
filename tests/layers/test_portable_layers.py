"""layers.portable_layers.index_order_top_k: tf.math.top_k's answer, ties in index order, from
top_k calls over the long input whose own order of ties cannot change it."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from mrcnn_tf.layers.portable_layers import TIE_FREE_TOP_K, index_order_top_k


@pytest.mark.parametrize("count, k", [(1000, 100), (5000, 4999), (300, 300), (50, 1)])
@pytest.mark.parametrize("traced", [False, True])
def test_equals_top_k_with_ties(count, k, traced):
    rng = np.random.default_rng(count + k)
    values = (np.round(rng.random(count) * 7) / 7).astype(np.float32)  # 8 values, many ties
    function = index_order_top_k
    if traced:  # the length unknown, as in torchvision's any-size graph
        function = tf.function(lambda v: index_order_top_k(v, k),
                               input_signature=[tf.TensorSpec([None], tf.float32)])
        top_values, indices = function(tf.constant(values))
    else:
        top_values, indices = function(tf.constant(values), k)
    expected_values, expected_indices = tf.math.top_k(values, k)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(top_values, expected_values)


def test_long_top_k_ops_are_named_tie_free():
    graph = tf.function(lambda v: index_order_top_k(v, 10)).get_concrete_function(
        tf.TensorSpec([500], tf.float32)).graph
    names = [op.name for op in graph.get_operations() if op.type == "TopKV2"]
    assert len(names) == 3 and sum(TIE_FREE_TOP_K in name for name in names) == 2, names
