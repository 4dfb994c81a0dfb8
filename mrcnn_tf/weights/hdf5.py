"""Load and save a Keras model's weights in the Keras 2 HDF5 layout of matterport's files.

The layout and the file reading are in weights/h5file.py. The RPN's weights live in the
group ``rpn_model`` with names ``rpn_conv_shared/kernel:0`` etc. Keras 3 variables are matched
by layer name and variable name (kernel, bias, gamma, beta, moving_mean, moving_variance).
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import os

import h5py
import keras
import numpy as np

from mrcnn_tf.layers import FusedBatchNorm
from mrcnn_tf.ops.batch_norm_folding import fold_batch_norm
from mrcnn_tf.weights import compatible
from mrcnn_tf.weights.compatible import CLASS_SPECIFIC_LAYERS  # noqa: F401 (public here too)
from mrcnn_tf.weights.formats import file_kind
from mrcnn_tf.weights.h5file import CLASS_NAMES_ATTRIBUTE, read_weights

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class LoadReport:
    """What load_weights did: layer names loaded, excluded, absent from the file, and unused."""

    path: str
    loaded: list
    excluded: list
    missing: list  # the model's weighted layers the file has no weights for
    unused: list  # the file's layers the model does not have
    folded: list = dataclasses.field(default_factory=list)  # BatchNorm folded into convs

    def __str__(self):
        parts = [f"loaded {len(self.loaded)} layers from {self.path}"]
        if self.folded:
            parts.append(f"folded {len(self.folded)} BatchNorm layers into their convolutions")
        if self.excluded:
            parts.append(f"excluded {len(self.excluded)}: {', '.join(self.excluded)}")
        if self.missing:
            parts.append(f"{len(self.missing)} model layers not in the file (left as they were): "
                         f"{_shorten(self.missing)}")
        if self.unused:
            parts.append(f"{len(self.unused)} file layers not in the model: {_shorten(self.unused)}")
        return "; ".join(parts)


def _shorten(names, limit=8):
    return ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _var_key(name: str) -> tuple[str, str]:
    """'rpn_conv_shared/kernel:0' -> ('rpn_conv_shared', 'kernel')."""
    parts = name.split(":")[0].split("/")
    return (parts[-2] if len(parts) > 1 else "", parts[-1])


def _model_layers(model) -> dict:
    """Top-level layers of the model that own weights, by name (nested models included)."""
    return {layer.name: layer for layer in model.layers if layer.weights}


def _variables_by_key(layer) -> dict:
    """{(layer name, variable name): variable} for a layer or a nested model."""
    sublayers = layer.layers if isinstance(layer, keras.Model) else [layer]
    return {(sub.name, v.name.split(":")[0].split("/")[-1]): v
            for sub in sublayers for v in sub.weights}


def _folded_batch_norms(model) -> list:
    """(BatchNorm, convolution) layer pairs of a model built with FOLD_BATCH_NORM (nested
    models included): each FusedBatchNorm with fold_into and the layer it names."""
    by_name = {}

    def collect(container):
        for layer in container.layers:
            if isinstance(layer, keras.Model):
                collect(layer)
            by_name[layer.name] = layer

    collect(model)
    return [(layer, by_name[layer.fold_into]) for layer in by_name.values()
            if isinstance(layer, FusedBatchNorm) and layer.fold_into is not None]


def _fold_assignments(model, assignments) -> tuple:
    """(assignments with every folded BatchNorm's values folded into its convolution's kernel
    and bias, the BatchNorm names folded). A value the file does not give is the variable's
    own. The BatchNorm variables keep the file's values (the identity layer ignores them)."""
    values = {id(var): (var, value) for var, value in assignments}
    folded = []

    def current(var):
        return values[id(var)][1] if id(var) in values else keras.ops.convert_to_numpy(var)

    for bn, conv in _folded_batch_norms(model):
        variables = (conv.kernel, conv.bias, bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance)
        if not any(id(var) in values for var in variables):
            continue
        kernel, bias = fold_batch_norm(*(current(var) for var in variables), bn.epsilon)
        values[id(conv.kernel)] = (conv.kernel, kernel)
        values[id(conv.bias)] = (conv.bias, bias)
        folded.append(bn.name)
    return list(values.values()), folded


def load_weights(model, path, *, exclude=None, strict=True) -> LoadReport:
    """Assign weights from a matterport-layout HDF5 file to a Keras model, by layer name.

    exclude: layer names to leave untouched (e.g. CLASS_SPECIFIC_LAYERS to fine-tune on other
    classes). strict (default): the file must fit the model — same backbone, same NUM_CLASSES
    unless CLASS_SPECIFIC_LAYERS are excluded, every model layer not excluded in the file and
    every file layer in the model — else ValueError naming both sides and the ways on (see
    weights/compatible.py). strict=False loads the layers the two share, on purpose (e.g.
    ResNet-50 layers from the ResNet-101 COCO file) and reports the rest.
    Always raises ValueError for a file that is not matterport's layout (e.g. a torchvision
    ``.pth``), when nothing matches or a shape differs; checks that every assigned variable
    holds the file's values afterwards. A model built with FOLD_BATCH_NORM gets each folded
    BatchNorm's values folded into its convolution's kernel and bias (ops.batch_norm_folding).
    Returns a LoadReport.
    """
    exclude = list(exclude or [])
    layers = _model_layers(model)
    unknown_excludes = [n for n in exclude if n not in layers]
    if unknown_excludes:
        raise ValueError(f"exclude names layers the model does not have: {unknown_excludes}; "
                         f"close: {[difflib.get_close_matches(n, layers, 1) for n in unknown_excludes]}")
    compatible.check_family(path, file_kind(path))
    file_layers = read_weights(path)
    matched = [name for name in file_layers if name in layers and file_layers[name]]
    if not [n for n in matched if n not in exclude]:
        raise ValueError(f"0 of {len(layers)} layers matched in {os.fspath(path)!r} — is this a "
                         "Mask R-CNN weights file?")
    if strict:
        compatible.check_backbone(path, file_layers, layers)
    compatible.check_num_classes(path, file_layers, layers, exclude)
    missing = [n for n in layers if n not in file_layers and n not in exclude]
    unused = [n for n in file_layers if n not in layers and file_layers[n]]
    if strict:
        compatible.check_same_layers(path, missing, unused)
    assignments = []
    for name in matched:
        if name in exclude:
            continue
        variables = _variables_by_key(layers[name])
        for weight_name, value in file_layers[name]:
            key = _var_key(weight_name)
            if not key[0] or key not in variables:  # flat name: layer is the group
                key = (name, key[1])
            var = variables.get(key)
            if var is None:
                raise ValueError(f"layer {name!r}: the model has no weight {weight_name!r} "
                                 f"(it has {sorted('/'.join(k) for k in variables)})")
            if tuple(var.shape) != value.shape:
                hint = ""
                if name in CLASS_SPECIFIC_LAYERS:
                    hint = (" — the file was trained for another NUM_CLASSES; pass "
                            f"exclude={list(CLASS_SPECIFIC_LAYERS)} to fine-tune on new classes")
                raise ValueError(f"layer {name!r} weight {weight_name!r}: the file has shape "
                                 f"{value.shape}, the model {tuple(var.shape)}{hint}")
            assignments.append((var, value))
    assignments, folded = _fold_assignments(model, assignments)
    for var, value in assignments:
        var.assign(value)
    for var, value in assignments:  # a bfloat16 weight holds the file's value rounded to it
        expected = value
        if var.dtype != value.dtype.name:
            expected = keras.ops.convert_to_numpy(keras.ops.cast(value, var.dtype))
        if not np.array_equal(keras.ops.convert_to_numpy(var), expected):
            raise RuntimeError(f"weight {var.path} did not take the file's values")
    report = LoadReport(
        path=os.fspath(path),
        loaded=[n for n in matched if n not in exclude],
        excluded=[n for n in matched if n in exclude],
        missing=missing, unused=unused, folded=folded)
    (logger.warning if report.missing else logger.info)("%s", report)
    return report


def save_weights(model, path, *, class_names=None) -> None:
    """Write the model's weights in the Keras 2 layout that load_weights (and matterport) read.

    class_names: the model's names (index = class id), kept in the root attribute
    h5file.CLASS_NAMES_ATTRIBUTE (JSON; matterport's code ignores it) and read back by
    h5file.read_class_names.

    Weights held in bfloat16 (an inference model with COMPUTE_DTYPE="bfloat16") are written
    as float32: their rounded values, not the float32 ones they were loaded from. A model
    with folded BatchNorm (FOLD_BATCH_NORM) is refused: its convolutions no longer hold the
    file's weights."""
    folded = _folded_batch_norms(model)
    if folded:
        raise ValueError(f"this model folds {len(folded)} BatchNorm layers into its "
                         "convolutions (Config.FOLD_BATCH_NORM=True), so its weights are not "
                         "matterport's; save from a model built with FOLD_BATCH_NORM=False")
    layers = _model_layers(model)
    with h5py.File(os.fspath(path), "w") as f:
        f.attrs["layer_names"] = np.array([n.encode() for n in layers], dtype="S")
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = keras.__version__.encode()
        if class_names is not None:
            f.attrs[CLASS_NAMES_ATTRIBUTE] = json.dumps(list(class_names)).encode()
        for name, layer in layers.items():
            group = f.create_group(name)
            entries = [(f"{sub}/{var}:0", v) for (sub, var), v in _variables_by_key(layer).items()]
            group.attrs["weight_names"] = np.array([n.encode() for n, _ in entries], dtype="S")
            for weight_name, var in entries:
                value = keras.ops.convert_to_numpy(var)
                if var.dtype == "bfloat16":  # HDF5 has no bfloat16
                    value = value.astype(np.float32)
                group.create_dataset(weight_name, data=value)
