"""The portable inference graph and its export to ONNX, OpenVINO IR and LiteRT (issue 29).

The graph is the family's Keras inference model cloned with the layers of
``layers.portable_layers`` in place of the proposal, ROIAlign, detection and ROI-axis layers
(the other layers are shared, so are their weights), traced for batch 1: at one fixed molded
size with the anchors as a constant for a family whose images all mold to one shape
(matterport's square mode), else at any size with the anchors as an input (torchvision's:
padding its image further would change the detections near the edges):

inputs  ``image`` float32 [1, H, W, 3] (the family's molded image: transform.mold),
        ``image_meta`` float32 [1, META] (and ``anchors`` float32 [1, A, 4]);
outputs ``detections`` float32 [1, D, 6] (as the Keras model's detections: y1, x1, y2, x2,
        class id, score; zero padded, class 0 marks padding) and ``masks`` float32
        [1, D, M, M] (each detection's mask probabilities for its own class).

Molding and unmolding stay outside, in numpy, the family's transform (runtime.PortableModel).

Beside the model file, in its folder: ``mrcnn_config.json`` (the Config), ``class_names.txt``
and ``portable.json`` (format, file, input size, mask layout). A folder is written whole or
not at all (a temporary folder renamed at the end).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

import numpy as np

from mrcnn_tf.export.names import CLASS_NAMES_ASSET as CLASS_NAMES_FILE
from mrcnn_tf.export.names import CONFIG_ASSET as CONFIG_FILE
from mrcnn_tf.families import family_for

FORMATS = ("onnx", "openvino", "litert")
MODEL_FILES = {"onnx": "model.onnx", "openvino": "model.xml", "litert": "model.tflite"}
META_FILE = "portable.json"
ONNX_OPSET = 17


def fixed_molded_shape(config) -> tuple | None:
    """(H, W) every image is molded to for the portable graph, or None for a family whose
    images mold to sizes of their own (takes_any_size)."""
    shape = family_for(config).transform(config).fixed_shape
    return None if shape is None else tuple(int(s) for s in shape)


def portable_keras_model(keras_model):
    """keras_model cloned with the portable layers (weights shared with keras_model)."""
    import keras

    from mrcnn_tf.layers.portable_layers import portable_layer
    return keras.models.clone_model(keras_model, clone_function=portable_layer)


def takes_any_size(config) -> bool:
    """True for a family whose images mold to sizes of their own (torchvision's): its graph
    takes the molded image at its own size and the anchors as an input, since padding it
    further would change the detections near the bottom and right edges."""
    return fixed_molded_shape(config) is None


def portable_function(model, molded_shape=None):
    """The tf.function, with its input signature, (image [1, H, W, C], image_meta [1, META]
    [, anchors [1, A, 4] when takes_any_size]) -> {"detections", "masks"} for a MaskRCNN
    (inference). A family with a fixed molded shape (matterport's) has H, W fixed
    (molded_shape, default fixed_molded_shape) and its anchors as a constant; torchvision's
    takes any H, W (multiples of 32) and the anchors (its transform's) as an input."""
    import tensorflow as tf

    from mrcnn_tf.inference.transforms import output_positions
    from mrcnn_tf.layers.portable_layers import select_class_masks

    config = model.config
    transform = family_for(config).transform(config)
    portable = portable_keras_model(model.keras_model)
    detections_at, masks_at = output_positions(portable, transform)
    channels = config.IMAGE_CHANNEL_COUNT

    def outputs(image, image_meta, anchors):
        values = portable([image, image_meta, anchors], training=False)
        detections = tf.cast(values[detections_at], tf.float32)
        masks = tf.cast(values[masks_at], tf.float32)
        if len(masks.shape) == 5:  # per-class masks (matterport): the detection's own class
            masks = select_class_masks(masks, detections)
        return {"detections": tf.identity(detections, name="detections"),
                "masks": tf.identity(masks, name="masks")}

    meta_spec = tf.TensorSpec([1, config.IMAGE_META_SIZE], tf.float32, name="image_meta")
    if takes_any_size(config):
        @tf.function(input_signature=[
            tf.TensorSpec([1, None, None, channels], tf.float32, name="image"), meta_spec,
            tf.TensorSpec([1, None, 4], tf.float32, name="anchors")])
        def serve(image, image_meta, anchors):
            return outputs(image, image_meta, anchors)
    else:
        height, width = molded_shape or fixed_molded_shape(config)
        anchors = np.asarray(transform.anchors((height, width)), np.float32)[None]

        @tf.function(input_signature=[
            tf.TensorSpec([1, height, width, channels], tf.float32, name="image"), meta_spec])
        def serve(image, image_meta):
            return outputs(image, image_meta, tf.constant(anchors))

    serve.trackable = portable  # for the LiteRT converter (its variables)
    return serve


def _write_onnx(function, path):
    import tf2onnx

    tf2onnx.convert.from_function(function, input_signature=function.input_signature,
                                  opset=ONNX_OPSET, output_path=str(path))


def _save_ir(onnx_path, xml_path):
    """The ONNX file converted to OpenVINO IR at xml_path: float32 weights (save_model would
    compress them to float16, which changes detections) and every TopK stable (OpenVINO's
    ONNX reader makes them unstable: runtime.openvino_graph)."""
    import openvino

    from mrcnn_tf.runtime.openvino_graph import make_topk_stable

    model = openvino.convert_model(os.fspath(onnx_path))
    make_topk_stable(model)
    openvino.save_model(model, os.fspath(xml_path), compress_to_fp16=False)


def _write_openvino(function, path, work_dir):
    onnx_path = os.path.join(work_dir, "intermediate.onnx")
    _write_onnx(function, onnx_path)
    _save_ir(onnx_path, path)
    os.remove(onnx_path)


def unsupported_litert_ops(message: str) -> list:
    """The op names a TFLite converter error says have no builtin (tf.X / TF op names)."""
    import re
    return sorted(set(re.findall(r"'tf\.([A-Za-z0-9_]+)'", message)))


def _write_litert(function, path):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], getattr(function, "trackable", None))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        flatbuffer = converter.convert()
    except Exception as error:  # the converter's own ConverterError
        ops = unsupported_litert_ops(str(error))
        detail = f"ops without a LiteRT builtin: {', '.join(ops)}" if ops else str(error)
        raise ValueError(f"LiteRT conversion failed: {detail}") from error
    with open(path, "wb") as f:
        f.write(flatbuffer)


def openvino_from_onnx(onnx_model, out_dir, *, overwrite=False) -> str:
    """An exported ONNX model (its file, with the files beside it) converted to OpenVINO IR in
    folder out_dir, written whole or not at all; returns the .xml path. No TensorFlow."""
    source = os.path.dirname(os.path.abspath(os.fspath(onnx_model)))
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not overwrite:
        raise ValueError(f"{out_dir} exists (pass overwrite=True / --overwrite to replace it)")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".partial-", dir=parent)
    try:
        for name in (CONFIG_FILE, CLASS_NAMES_FILE):
            shutil.copy(os.path.join(source, name), os.path.join(work, name))
        with open(os.path.join(source, META_FILE), encoding="utf8") as f:
            meta = json.load(f)
        meta.update(format="openvino", model=MODEL_FILES["openvino"])
        with open(os.path.join(work, META_FILE), "w", encoding="utf8") as f:
            json.dump(meta, f, indent=1)
        _save_ir(onnx_model, os.path.join(work, MODEL_FILES["openvino"]))
        _replace(work, out_dir, parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return os.path.join(out_dir, MODEL_FILES["openvino"])


def _replace(work, out_dir, parent):
    os.chmod(work, 0o755)
    if os.path.exists(out_dir):
        old = tempfile.mkdtemp(prefix=".replaced-", dir=parent)
        os.rename(out_dir, os.path.join(old, "old"))
        os.rename(work, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(work, out_dir)


def export_int8_openvino(model, out_dir, *, class_names=None, images=None,
                         calibration="default", overwrite=False) -> tuple:
    """model exported as float32 OpenVINO IR into a temporary folder beside out_dir, then
    quantized to INT8 into out_dir (export.quantize.int8_from_openvino: calibrated on images,
    written only when it agrees with the float32 IR). Returns (.xml path, agreement line)."""
    from mrcnn_tf.export.quantize import int8_from_openvino

    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not overwrite:
        raise ValueError(f"{out_dir} exists (pass overwrite=True / --overwrite to replace it)")
    if takes_any_size(model.config):
        raise ValueError("--precision int8 is for graphs of one fixed size (matterport's "
                         "family); torchvision's any-size graph is not quantized")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    float_folder = os.path.join(tempfile.mkdtemp(prefix=".float32-", dir=parent), "float32")
    try:
        export_portable(model, float_folder, "openvino", class_names=class_names)
        return int8_from_openvino(float_folder, out_dir, images, calibration=calibration,
                                  overwrite=overwrite)
    finally:
        shutil.rmtree(os.path.dirname(float_folder), ignore_errors=True)


def export_portable(model, out_dir, fmt, *, class_names=None, overwrite=False) -> str:
    """Write model (a MaskRCNN in inference mode) to folder out_dir in format fmt ("onnx",
    "openvino", "litert"): the model file, mrcnn_config.json, class_names.txt, portable.json.
    Returns the model file's path. Nothing is left at out_dir when it fails."""
    if fmt not in FORMATS:
        raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not overwrite:
        raise ValueError(f"{out_dir} exists (pass overwrite=True / --overwrite to replace it)")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    config = model.config
    names = list(class_names if class_names is not None else model.class_names)
    shape = fixed_molded_shape(config)
    work = tempfile.mkdtemp(prefix=".partial-", dir=parent)
    try:
        function = portable_function(model, shape)
        model_path = os.path.join(work, MODEL_FILES[fmt])
        if fmt == "onnx":
            _write_onnx(function, model_path)
        elif fmt == "openvino":
            _write_openvino(function, model_path, work)
        else:
            _write_litert(function, model_path)
        family = family_for(config)
        transform = family.transform(config)
        meta = {"format": fmt, "model": MODEL_FILES[fmt], "precision": "float32",
                "family": family.name,
                "input_shape": ([1, None, None, config.IMAGE_CHANNEL_COUNT]
                                if takes_any_size(config)
                                else [1, shape[0], shape[1], config.IMAGE_CHANNEL_COUNT]),
                "anchors_input": takes_any_size(config),
                "image_meta_size": config.IMAGE_META_SIZE,
                "detections": "y1, x1, y2, x2, class_id, score as the family's Keras model",
                "output_names": list(transform.output_names)}
        with open(os.path.join(work, META_FILE), "w", encoding="utf8") as f:
            json.dump(meta, f, indent=1)
        with open(os.path.join(work, CONFIG_FILE), "w", encoding="utf8") as f:
            f.write(config.to_json())
        with open(os.path.join(work, CLASS_NAMES_FILE), "w", encoding="utf8") as f:
            f.write("".join(f"{name}\n" for name in names))
        _replace(work, out_dir, parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return os.path.join(out_dir, MODEL_FILES[fmt])
