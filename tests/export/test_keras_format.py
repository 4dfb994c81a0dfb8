"""The Keras model saves to the native .keras format and loads back with safe_mode=True (no
Lambda layers, no pickled code) in a fresh process; save_weights/load_weights round-trip."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np

import mrcnn_tf
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.layers import CUSTOM_OBJECTS
from mrcnn_tf.ops.anchors import anchors_for_image_shape
from tests.helpers import skimage_image

COMPARED_OUTPUTS = {0: "detections", 1: "mrcnn_class", 3: "mrcnn_mask", 4: "rois",
                    5: "rpn_class"}

LOAD_AND_RUN = textwrap.dedent("""
    import hashlib, json, sys
    import numpy as np
    import keras
    import mrcnn_tf.layers  # registers the layers (keras.saving.register_keras_serializable)

    path, inputs_path, out_path = sys.argv[1:4]
    model = keras.models.load_model(path, safe_mode=True)
    with np.load(inputs_path) as data:
        outputs = model([data["image"], data["meta"], data["anchors"]], training=False)
    compared = json.loads(sys.argv[4])
    digests = {v.path: hashlib.sha256(np.ascontiguousarray(v.numpy()).tobytes()).hexdigest()
               for v in model.weights}
    configs = {layer.name: layer.get_config() for layer in model.layers
               if type(layer).__name__ in sys.argv[5].split(",")}
    np.savez(out_path, **{name: np.asarray(outputs[int(i)]) for i, name in compared.items()})
    print(json.dumps({"digests": digests, "configs": configs}))
""")


def _class_names(config):
    """Every class_name in a Keras config tree."""
    if isinstance(config, dict):
        found = {config["class_name"]} if isinstance(config.get("class_name"), str) else set()
        return found.union(*(_class_names(v) for v in config.values()))
    if isinstance(config, list):
        return set().union(*(_class_names(v) for v in config))
    return set()


def _digest(variable):
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(variable.numpy()).tobytes()).hexdigest()


def test_keras_file_reloads_in_safe_mode_in_a_fresh_process(small_model, tmp_path):
    keras_model, config = small_model.keras_model, small_model.config
    path = tmp_path / "mask_rcnn.keras"
    keras_model.save(path)
    with zipfile.ZipFile(path) as archive:
        saved_config = json.loads(archive.read("config.json"))
    classes = _class_names(saved_config)
    used = {type(layer).__name__ for layer in keras_model.layers} & set(CUSTOM_OBJECTS)
    assert {"FusedBatchNorm", "ProposalLayer", "PyramidROIAlign", "DetectionLayer"} <= used
    assert "Lambda" not in classes and used <= classes

    molded, metas, _ = mold_inputs([skimage_image("chelsea")], config)
    anchors = anchors_for_image_shape(molded.shape[1:3], config)[None]
    inputs = {"image": molded, "meta": metas.astype(np.float32), "anchors": anchors}
    np.savez(tmp_path / "inputs.npz", **inputs)
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_RUN, str(path), str(tmp_path / "inputs.npz"),
         str(tmp_path / "outputs.npz"), json.dumps(COMPARED_OUTPUTS), ",".join(CUSTOM_OBJECTS)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])

    assert loaded["digests"] == {v.path: _digest(v) for v in keras_model.weights}
    for layer in keras_model.layers:
        if type(layer).__name__ in CUSTOM_OBJECTS:
            assert json.loads(json.dumps(layer.get_config())) == loaded["configs"][layer.name]
    expected = keras_model([inputs["image"], inputs["meta"], inputs["anchors"]], training=False)
    with np.load(tmp_path / "outputs.npz") as outputs:
        for index, name in COMPARED_OUTPUTS.items():
            np.testing.assert_allclose(outputs[name], np.asarray(expected[index]), rtol=0,
                                       atol=1e-5, err_msg=name)


def test_save_weights_and_load_weights_round_trip_exactly(small_model, tmp_path):
    source = small_model.keras_model
    target = mrcnn_tf.MaskRCNN(mode="inference", config=small_model.config)
    assert any(_digest(v) != _digest(w) for v, w in zip(source.weights,
                                                        target.keras_model.weights))

    small_model.save_weights(tmp_path / "mask_rcnn.h5")  # matterport's HDF5 layout
    report = target.load_weights(tmp_path / "mask_rcnn.h5")
    assert not report.missing and not report.unused
    _assert_same_weights(source, target.keras_model)

    for variable in target.keras_model.weights:  # Keras 3's own format
        variable.assign(np.zeros(variable.shape, variable.dtype))
    source.save_weights(tmp_path / "mask_rcnn.weights.h5")
    target.keras_model.load_weights(tmp_path / "mask_rcnn.weights.h5")
    _assert_same_weights(source, target.keras_model)


def _assert_same_weights(a, b):
    assert len(a.weights) == len(b.weights)
    for va, vb in zip(a.weights, b.weights):
        assert va.path.split("/")[-1] == vb.path.split("/")[-1] and va.shape == vb.shape
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=va.path)
