"""Run an exported portable model (``mrcnn-tf export --format onnx|openvino|litert``) without
TensorFlow: ``load(path).detect(images)`` gives the result dicts ``MaskRCNN.detect`` gives.

``path`` is the model file (``model.onnx``, ``model.xml``, ``model.tflite``) or its folder;
``mrcnn_config.json``, ``class_names.txt`` and ``portable.json`` are read from beside it.
Molding and unmolding are the model family's numpy transform, as in ``detect()``. Nothing here
imports TensorFlow or Keras; each backend imports its own runtime package only when loading:
onnxruntime (extra ``[onnx]``), openvino (``[openvino]``) or ai_edge_litert (``[litert]``).
"""
from __future__ import annotations

from mrcnn_tf.runtime.model import PortableModel, load

__all__ = ["PortableModel", "load"]
