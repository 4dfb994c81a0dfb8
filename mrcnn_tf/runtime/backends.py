"""One session class per runtime: ``run(image, image_meta, anchors=None) -> (detections,
masks)``.

Inputs are told apart by rank (image 4-D, anchors 3-D, meta 2-D) and outputs by shape (detections
[1, D, 6], masks [1, D, M, M]), which every converter keeps whatever it names them.
A runtime package that is not installed is an ImportError naming the extra that installs it;
a file the runtime cannot read is a ValueError naming the file.
"""
from __future__ import annotations

import importlib
import os

import numpy as np

from mrcnn_tf.runtime.openvino_graph import make_topk_stable


def _import(module: str, extra: str, path):
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{path}: running this model needs {module} "
                          f"(pip install 'mrcnn-tf[{extra}]'): {error}") from None


def _by_rank(image, image_meta, anchors):
    return {4: image, 2: image_meta, 3: anchors}


def _split_outputs(outputs):
    detections = masks = None
    for value in outputs:
        value = np.asarray(value)
        if value.ndim == 3 and value.shape[-1] == 6:
            detections = value
        elif value.ndim == 4:
            masks = value
    if detections is None or masks is None:
        raise ValueError("the model's outputs are not detections [1, D, 6] and masks "
                         f"[1, D, M, M]: {[np.shape(v) for v in outputs]}")
    return detections, masks


class OnnxSession:
    def __init__(self, path, threads=None):
        ort = _import("onnxruntime", "onnx", path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(str(path), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as error:
            raise ValueError(f"{path}: not an ONNX model onnxruntime can load "
                             f"({str(error).splitlines()[0][:200]})") from None
        self.names = {len(i.shape): i.name for i in self.session.get_inputs()}

    def run(self, image, image_meta, anchors=None):
        feed = _by_rank(image, image_meta, anchors)
        return _split_outputs(self.session.run(
            None, {name: feed[rank] for rank, name in self.names.items()}))


class OpenVinoSession:
    def __init__(self, path, threads=None, precision=None):
        ov = _import("openvino", "openvino", path)
        bin_path = os.path.splitext(str(path))[0] + ".bin"
        if not os.path.isfile(bin_path):
            raise ValueError(f"{path}: the OpenVINO weights file {bin_path} is missing")
        config = {"INFERENCE_PRECISION_HINT": "f32"}  # float32 unless asked otherwise
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
        try:
            core = ov.Core()
            model = core.read_model(str(path))
            make_topk_stable(model)  # an IR converted by OpenVINO itself may have unstable ones
            self.compiled = core.compile_model(model, "CPU", config)
        except Exception as error:
            raise ValueError(f"{path}: not an OpenVINO IR model OpenVINO can load "
                             f"({str(error).splitlines()[0][:200]})") from None
        self.request = self.compiled.create_infer_request()
        self.inputs = [(len(i.get_partial_shape()), i) for i in self.compiled.inputs]

    def run(self, image, image_meta, anchors=None):
        values = _by_rank(image, image_meta, anchors)
        result = self.request.infer({port: values[rank] for rank, port in self.inputs})
        return _split_outputs([result[port] for port in self.compiled.outputs])


class LiteRtSession:
    def __init__(self, path, threads=None):
        interpreter_module = _import("ai_edge_litert.interpreter", "litert", path)
        try:
            self.interpreter = interpreter_module.Interpreter(model_path=str(path),
                                                              num_threads=threads or None)
            self.interpreter.allocate_tensors()
        except Exception as error:
            raise ValueError(f"{path}: not a LiteRT (.tflite) model LiteRT can load "
                             f"({str(error).splitlines()[0][:200]})") from None
        self.inputs = {len(d["shape"]): d["index"]
                       for d in self.interpreter.get_input_details()}
        self.output_indices = [d["index"] for d in self.interpreter.get_output_details()]
        self.shapes = {}

    def run(self, image, image_meta, anchors=None):
        values = _by_rank(image, image_meta, anchors)
        shapes = {rank: values[rank].shape for rank in self.inputs}
        if shapes != self.shapes:  # a model of any size: fit the inputs to these
            for rank, index in self.inputs.items():
                self.interpreter.resize_tensor_input(index, list(shapes[rank]))
            self.interpreter.allocate_tensors()
            self.shapes = shapes
        for rank, index in self.inputs.items():
            self.interpreter.set_tensor(index, values[rank])
        self.interpreter.invoke()
        return _split_outputs([self.interpreter.get_tensor(i) for i in self.output_indices])


SESSIONS = {"onnx": OnnxSession, "openvino": OpenVinoSession, "litert": LiteRtSession}
SUFFIXES = {".onnx": "onnx", ".xml": "openvino", ".tflite": "litert"}
