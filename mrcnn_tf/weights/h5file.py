"""Reading matterport-layout (Keras 2) HDF5 weight files with h5py only — no Keras, no TensorFlow.

Layout: root attribute ``layer_names`` (or the same under a ``model_weights`` group, as in
whole-model files); one group per layer with attribute ``weight_names``; each weight a dataset
at ``<layer>/<weight name>``, e.g. ``conv1/conv1/kernel:0``.
"""
from __future__ import annotations

import json
import os

import h5py
import numpy as np

COCO_WEIGHTS_SIZE = 257_557_808
CLASS_NAMES_ATTRIBUTE = "mrcnn_tf_class_names"  # JSON list, index = class id ("BG" first)


def decode_names(names):
    """HDF5 attribute strings (bytes or str) as a list of str."""
    return [n.decode("utf8") if isinstance(n, bytes) else str(n) for n in names]


def open_weights_file(path):
    """Open an HDF5 weights file for reading, with clear errors for missing or damaged files.

    Returns (h5py.File, root group holding ``layer_names``).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"weights file {path!r} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        size = os.path.getsize(path)
        hint = ""
        if "coco" in os.path.basename(path).lower():
            hint = f"; the COCO weights file is {COCO_WEIGHTS_SIZE:,} bytes"
        raise ValueError(f"weights file {path!r} ({size:,} bytes) is not a readable HDF5 file, "
                         f"or it is truncated{hint}") from err
    root = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
    if "layer_names" not in root.attrs:
        f.close()
        raise ValueError(f"{path!r} is an HDF5 file but not in the Keras 2 weights layout "
                         "(no 'layer_names' attribute) — is this a Mask R-CNN weights file?")
    return f, root


def read_weights(path) -> dict:
    """All weights of a file: {layer name: [(weight name, numpy array), ...]} in file order."""
    f, root = open_weights_file(path)
    with f:
        layers = {}
        for layer in decode_names(root.attrs["layer_names"]):
            group = root[layer]
            names = decode_names(group.attrs.get("weight_names", []))
            try:
                layers[layer] = [(n, np.asarray(group[n])) for n in names]
            except (KeyError, OSError) as err:
                raise ValueError(f"weights file {os.fspath(path)!r} is damaged or truncated: "
                                 f"cannot read layer {layer!r} ({err})") from err
    return layers


def read_class_names(path):
    """The class names a weights file carries (written by save_weights with class_names), as a
    tuple, or None: matterport's own files and files of other kinds carry none."""
    try:
        f, root = open_weights_file(path)
    except (ValueError, OSError):
        return None
    with f:
        raw = f.attrs.get(CLASS_NAMES_ATTRIBUTE)
    if raw is None:
        return None
    names = json.loads(raw.decode("utf8") if isinstance(raw, bytes) else str(raw))
    return tuple(str(n) for n in names)
