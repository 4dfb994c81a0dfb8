"""layers: every custom layer's config round trips, field by field, and drives its behaviour."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from mrcnn_tf.layers import (CUSTOM_OBJECTS, DetectionLayer, FusedBatchNorm, MergeRoiAxis,
                             ProposalLayer, PyramidROIAlign, SplitRoiAxis)

CASES = [
    (ProposalLayer, dict(proposal_count=7, nms_threshold=0.65, pre_nms_limit=123,
                         bbox_std_dev=[0.1, 0.2, 0.3, 0.4])),
    (PyramidROIAlign, dict(pool_size=5)),
    (DetectionLayer, dict(bbox_std_dev=[0.5, 0.6, 0.7, 0.8], min_confidence=0.55,
                          nms_threshold=0.25, max_instances=9)),
    (MergeRoiAxis, {}),
    (SplitRoiAxis, {}),
    (FusedBatchNorm, dict(epsilon=0.01, fold_into="res2a_branch2a")),
]


@pytest.mark.parametrize("cls, args", CASES, ids=[c.__name__ for c, _ in CASES])
def test_get_config_round_trip(cls, args):
    layer = cls(name=f"my_{cls.__name__.lower()}", **args)
    config = layer.get_config()
    assert config["name"] == f"my_{cls.__name__.lower()}"
    for field, value in args.items():
        assert field in config, field
        if isinstance(value, list):
            assert list(config[field]) == pytest.approx(value), field
        else:
            assert config[field] == value and type(config[field]) is type(value), field
        assert getattr(layer, field) == (pytest.approx(value) if isinstance(value, list)
                                         else value)
    clone = cls.from_config(config)
    assert clone.get_config() == config
    for field in args:
        assert getattr(clone, field) == getattr(layer, field)
    # the registered name resolves back to the class
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is cls and restored.get_config() == config
    assert CUSTOM_OBJECTS[cls.__name__] is cls


def test_numpy_arrays_are_stored_as_plain_floats():
    layer = ProposalLayer(proposal_count=5, nms_threshold=0.7, pre_nms_limit=100,
                          bbox_std_dev=np.array([0.1, 0.1, 0.2, 0.2]))
    config = layer.get_config()
    assert all(type(v) is float for v in config["bbox_std_dev"])
    assert type(config["proposal_count"]) is int


def test_clone_computes_the_same():
    rng = np.random.default_rng(0)
    probs = rng.uniform(0, 1, (2, 20)).astype(np.float32)
    rpn_probs = np.stack([1 - probs, probs], -1)
    deltas = rng.normal(0, 1, (2, 20, 4)).astype(np.float32)
    corners = rng.uniform(0, 0.7, (2, 20, 2))
    anchors = np.concatenate([corners, corners + 0.3], -1).astype(np.float32)
    layer = CASES[0][0](**CASES[0][1])
    clone = ProposalLayer.from_config(layer.get_config())
    out = np.asarray(layer([rpn_probs, deltas, anchors]))
    assert out.shape == (2, 7, 4)
    np.testing.assert_array_equal(np.asarray(clone([rpn_probs, deltas, anchors])), out)


def test_roi_axis_merge_and_split():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    merged = np.asarray(MergeRoiAxis()(x))
    np.testing.assert_array_equal(merged, x.reshape(6, 4, 5))
    np.testing.assert_array_equal(np.asarray(SplitRoiAxis()([merged, x])), x)


def test_folded_batch_norm_passes_its_input_through_and_cannot_train():
    x = np.random.default_rng(0).normal(3, 2, (2, 4, 4, 3)).astype(np.float32)
    plain, folded = FusedBatchNorm(), FusedBatchNorm(fold_into="conv")
    for layer in (plain, folded):
        layer.build(x.shape)
        layer.moving_mean.assign([1.0, 2.0, 3.0])
    assert not np.allclose(keras.ops.convert_to_numpy(plain(x, training=False)), x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(folded(x, training=False)), x)
    with pytest.raises(ValueError, match="folded into 'conv'.*cannot train"):
        folded(x, training=True)


def test_custom_objects_list_every_registered_layer():
    """Every layer class the layers package registers with Keras is in CUSTOM_OBJECTS."""
    import importlib
    import inspect
    import pkgutil

    import mrcnn_tf.layers as package

    registered = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, keras.layers.Layer) and cls.__module__ == module.__name__
                    and keras.saving.get_registered_name(cls) == f"mrcnn_tf>{name}"):
                registered[name] = cls
    assert len(registered) >= 13
    assert registered == CUSTOM_OBJECTS
