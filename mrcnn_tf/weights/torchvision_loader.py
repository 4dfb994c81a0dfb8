"""torchvision state dicts (key -> numpy array) into the torchvision-family Keras model.

The model's layers are named by their state-dict module paths (modeling.torchvision_*), so
each weighted layer reads ``<name>.weight`` / ``.bias`` / ``.running_mean`` / ``.running_var``:
Conv2D weight OIHW -> kernel HWIO; ConvTranspose2d weight (in, out, kh, kw) -> Conv2DTranspose
kernel (kh, kw, out, in); Linear weight (out, in) -> Dense kernel (in, out) (the box heads flatten
channel-first, as PyTorch);
BatchNorm weight, bias, running_mean, running_var -> gamma, beta, moving_mean,
moving_variance (``num_batches_tracked`` is not used).
"""
from __future__ import annotations

import keras
import numpy as np

from mrcnn_tf.modeling.torchvision_heads import CLASS_SPECIFIC_LAYERS
from mrcnn_tf.weights.hdf5 import LoadReport

IGNORED_LEAVES = ("num_batches_tracked",)


def _conv_kernel(weight):
    return np.transpose(weight, (2, 3, 1, 0))


def layer_values(layer, tensors: dict) -> list | None:
    """The Keras weight values of one layer from the state dict, None when the file lacks
    them. Raises ValueError naming the key when a shape does not fit."""
    name = layer.name
    if isinstance(layer, keras.layers.BatchNormalization):
        keys = [f"{name}.{leaf}" for leaf in ("weight", "bias", "running_mean", "running_var")]
        if not all(k in tensors for k in keys):
            return None
        return [tensors[k] for k in keys]
    weight = tensors.get(f"{name}.weight")
    if weight is None:
        return None
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
        values = [_conv_kernel(weight)]
    elif isinstance(layer, keras.layers.Dense):
        values = [weight.T]
    else:
        raise ValueError(f"layer {name!r}: no rule to load a {type(layer).__name__}")
    if layer.use_bias:
        values.append(tensors.get(f"{name}.bias"))
        if values[-1] is None:
            return None
    return values


def _check_class_count(layers: dict, tensors: dict, path, exclude) -> None:
    """ValueError naming the class-specific layers when the file's class count is not the
    model's and they are not all excluded."""
    loading = [n for n in CLASS_SPECIFIC_LAYERS if n in layers and n not in exclude]
    if not loading:
        return
    bad = []
    for name in loading:
        values = layer_values(layers[name], tensors)
        if values is not None and tuple(layers[name].weights[0].shape) != np.shape(values[0]):
            bad.append(name)
    if bad:
        from mrcnn_tf.weights.state_dict import torchvision_num_classes

        model_classes = layers[CLASS_SPECIFIC_LAYERS[0]].weights[0].shape[-1]
        raise ValueError(
            f"{path}: the file has NUM_CLASSES={torchvision_num_classes(tensors)} but the model "
            f"NUM_CLASSES={model_classes} (background included); the class-specific layers "
            f"{', '.join(bad)} do not fit: to fine-tune on the model's classes pass "
            f"exclude={list(CLASS_SPECIFIC_LAYERS)} (weights.torchvision_loader."
            "CLASS_SPECIFIC_LAYERS; they start afresh), or build the model with the file's "
            "NUM_CLASSES (MaskRCNN.from_weights)")


def load_state_dict(keras_model, tensors: dict, path="<state dict>", *, exclude=None,
                    strict=True) -> LoadReport:
    """Set every weighted layer of a torchvision-family model (inference or training graph)
    from ``tensors``.

    exclude: layer names to leave as they are, e.g. CLASS_SPECIFIC_LAYERS to fine-tune a
    91-class COCO file on other classes (those layers keep their fresh initialization).
    strict (default): every model layer not excluded must be in the file.
    Returns a LoadReport (loaded / excluded / missing layer names, unused state-dict keys).
    Raises ValueError when exclude names a layer the model lacks, when the class count differs
    and the class-specific layers are not excluded (naming them), when a tensor's shape does
    not fit its layer, or (strict) when layers are missing.
    """
    exclude = list(exclude or [])
    layers = {layer.name: layer for layer in keras_model.layers if layer.weights}
    unknown = [n for n in exclude if n not in layers]
    if unknown:
        raise ValueError(f"exclude names layers the model does not have: {unknown} "
                         f"(the class-specific layers are {list(CLASS_SPECIFIC_LAYERS)})")
    _check_class_count(layers, tensors, path, exclude)
    loaded, missing, used = [], [], set()
    for layer in layers.values():
        if layer.name in exclude:
            continue
        values = layer_values(layer, tensors)
        if values is None:
            missing.append(layer.name)
            continue
        expected = [tuple(w.shape) for w in layer.weights]
        got = [tuple(np.shape(v)) for v in values]
        if expected != got:
            raise ValueError(f"weights for layer {layer.name!r} have shapes {got}, the model "
                             f"needs {expected} (a different architecture or class count?)")
        layer.set_weights([np.asarray(v, np.float32) for v in values])
        loaded.append(layer.name)
        used.update(k for k in tensors if k.rsplit(".", 1)[0] == layer.name)
    unused = sorted(k for k in tensors if k not in used
                    and k.rsplit(".", 1)[-1] not in IGNORED_LEAVES)
    report = LoadReport(path=str(path), loaded=loaded,
                        excluded=[n for n in exclude if n in layers], missing=missing,
                        unused=unused)
    if missing and strict:
        raise ValueError(f"{path}: no weights for {len(missing)} model layers, e.g. "
                         f"{', '.join(missing[:5])} (not a torchvision Mask R-CNN state dict "
                         "of this version?)")
    return report


ARCHITECTURE_BY_VERSION = {"v1": "torchvision_v1", "v2": "torchvision_v2"}


def is_state_dict_file(path) -> bool:
    """True when path is a torchvision state-dict file (.pth, .npz, .safetensors) rather than
    matterport-layout HDF5 (decided by the file's bytes, see weights.formats)."""
    from mrcnn_tf.weights.formats import STATE_DICT_KINDS, TORCH_LEGACY, file_kind

    return file_kind(path) in (*STATE_DICT_KINDS, TORCH_LEGACY)


def config_for_state_dict(tensors: dict, config_class=None, **overrides):
    """A TorchvisionConfig (or config_class) for a state dict: ARCHITECTURE from its keys
    (torchvision_v1 / _v2) and NUM_CLASSES from its class-score weight, unless overridden."""
    from mrcnn_tf.config import TorchvisionConfig
    from mrcnn_tf.weights.state_dict import torchvision_num_classes, torchvision_version

    config_class = config_class or TorchvisionConfig
    fields = {"ARCHITECTURE": ARCHITECTURE_BY_VERSION[torchvision_version(tensors)]}
    num_classes = torchvision_num_classes(tensors)
    if num_classes is not None:
        fields["NUM_CLASSES"] = num_classes
    return config_class(**{**fields, **overrides})


def checkpoint_fields(path) -> dict | None:
    """{"ARCHITECTURE", "NUM_CLASSES"} of an HDF5 checkpoint written by the torchvision
    family's training (its layers carry the state-dict names), read from its layer names and
    class-score kernel; None for any other file (matterport's HDF5, state dicts)."""
    from mrcnn_tf.weights.formats import KERAS_H5, file_kind
    from mrcnn_tf.weights.h5file import decode_names, open_weights_file

    if file_kind(path) != KERAS_H5:
        return None
    f, root = open_weights_file(path)
    with f:
        layers = decode_names(root.attrs["layer_names"])
        if "backbone.body.conv1" not in layers:
            return None
        fields = {"ARCHITECTURE": ARCHITECTURE_BY_VERSION[
            "v2" if "roi_heads.box_head.0.0" in layers else "v1"]}
        name = CLASS_SPECIFIC_LAYERS[0]
        if name in root:
            for weight in decode_names(root[name].attrs.get("weight_names", [])):
                if "kernel" in weight:
                    fields["NUM_CLASSES"] = int(root[name][weight].shape[-1])
    return fields


def load_file(keras_model, path, *, exclude=None, strict=True) -> LoadReport:
    """Read a torchvision state-dict file (weights.state_dict.read_state_dict) into a
    torchvision-family model; see load_state_dict."""
    from mrcnn_tf.weights.state_dict import read_state_dict

    return load_state_dict(keras_model, read_state_dict(path), path=path, exclude=exclude,
                           strict=strict)
