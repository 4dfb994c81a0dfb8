"""torchvision state dicts as ``{key: numpy array}``, read without torch and without running
pickle code, and what their keys tell.

``read_state_dict(path)`` reads:
- ``.pth`` in torch.save's zip format (PyTorch >= 1.6), a state dict or a training checkpoint
  that wraps one as ``{"model": state_dict, ...}`` (torchvision's reference scripts) or
  ``{"state_dict": ...}`` — through the restricted unpickler of weights/torch_pickle.py, which
  refuses (UnsafePickleError) any global a tensor state dict does not use; also the legacy
  format of torch.save before PyTorch 1.6 (weights/torch_legacy.py; torchvision's 2019 files);
- ``.npz`` (numpy.savez of the same keys), read with ``allow_pickle=False``;
- ``.safetensors`` (the safetensors package's numpy API).
torch's oldest (tar) layout is refused with how to re-save it. Values keep the file's
dtype (float32, float16, int64, ...; bfloat16 as ``ml_dtypes.bfloat16``, exact) and shape,
in the file's order.

Keys follow torchvision's module paths, e.g. ``backbone.body.layer3.5.conv2.weight`` (OIHW),
``roi_heads.box_predictor.cls_score.weight`` [NUM_CLASSES, 1024].
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from mrcnn_tf.weights.formats import (KERAS_H5, NPZ, SAFETENSORS, TORCH_LEGACY, TORCH_ZIP,
                                      file_kind)

CHECKPOINT_KEYS = ("model", "state_dict")  # where training checkpoints keep the state dict
V1_KEY = "roi_heads.box_head.fc6.weight"  # maskrcnn_resnet50_fpn: two-layer MLP box head
V2_KEY = "roi_heads.box_head.0.0.weight"  # maskrcnn_resnet50_fpn_v2: 4 conv + 1 fc box head
CLASS_SCORE_KEY = "roi_heads.box_predictor.cls_score.weight"  # [NUM_CLASSES, 1024]
BACKBONE_BY_LAYER3_BLOCKS = {6: "resnet50", 23: "resnet101"}


def read_state_dict(path) -> dict:
    """The tensors of a state dict file: {key: numpy array} in file order.

    path: ``.pth`` (torch zip or legacy; state dict or checkpoint with "model"), ``.npz`` or
    ``.safetensors``; the kind is read from the file's first bytes, not its name.
    Raises FileNotFoundError, UnsafePickleError (a ValueError: the pickle asks for a global
    a state dict never uses; nothing was run) or ValueError (another kind of file, a damaged
    one, or one without a state dict).
    """
    path = os.fspath(path)
    kind = file_kind(path)
    if kind == TORCH_ZIP:
        from mrcnn_tf.weights.torch_zip import load_torch_zip

        return _tensors(_unwrap(load_torch_zip(path), path), path)
    if kind == NPZ:
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except ValueError as err:  # object arrays need pickle: refused
            raise ValueError(f"{path}: cannot read this .npz without pickle ({err})") from None
    if kind == SAFETENSORS:
        return _read_safetensors(path)
    if kind == TORCH_LEGACY:
        from mrcnn_tf.weights.torch_legacy import load_torch_legacy

        return _tensors(_unwrap(load_torch_legacy(path), path), path)
    if kind == KERAS_H5:
        raise ValueError(f"{path} is a Keras HDF5 weights file (matterport's layout), not a "
                         "state dict: load it with MaskRCNN.load_weights or "
                         "MaskRCNN.from_weights")
    raise ValueError(f"{path} is not a state dict file (torch .pth zip, .npz or "
                     ".safetensors)")


def _read_safetensors(path) -> dict:
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise ValueError(f"{path}: reading .safetensors needs the safetensors package "
                         "(pip install safetensors)") from None
    try:
        return dict(load_file(path))
    except Exception as err:  # the package raises its own error types for bad files
        raise ValueError(f"{path}: not a readable safetensors file ({err})") from None


def _unwrap(obj, path):
    """The state dict inside what a .pth holds: itself, or a checkpoint's "model"."""
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a state dict")
    if obj and all(isinstance(v, np.ndarray) for v in obj.values()):
        return obj
    for key in CHECKPOINT_KEYS:
        inner = obj.get(key)
        if isinstance(inner, Mapping) and inner:
            return inner
    raise ValueError(f"{path} holds no state dict: its top-level entries are "
                     f"{_shorten([str(k) for k in obj])} (a checkpoint keeps the state dict "
                     f"under {' or '.join(repr(k) for k in CHECKPOINT_KEYS)})")


def _tensors(state, path) -> dict:
    bad = [str(k) for k, v in state.items() if not (isinstance(k, str)
                                                     and isinstance(v, np.ndarray))]
    if bad:
        raise ValueError(f"{path}: entries that are not tensors: {_shorten(bad)}")
    return dict(state)


def _shorten(names, limit=6) -> str:
    names = list(names)
    return ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)"
                                       if len(names) > limit else "")


def check_state_dict(tensors: Mapping, expected: Mapping, *, what="the state dict") -> None:
    """ValueError unless tensors ({key: array}) holds exactly the expected keys ({key:
    shape}) with those shapes; the message names the missing, extra and mis-shaped keys."""
    missing = [k for k in expected if k not in tensors]
    extra = [k for k in tensors if k not in expected]
    shaped = [f"{k} {tuple(np.shape(tensors[k]))} (expected {tuple(expected[k])})"
              for k in expected if k in tensors
              and tuple(np.shape(tensors[k])) != tuple(int(n) for n in expected[k])]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing: {_shorten(missing)}")
    if extra:
        problems.append(f"{len(extra)} unexpected: {_shorten(extra)}")
    if shaped:
        problems.append(f"{len(shaped)} with another shape: {_shorten(shaped, 4)}")
    if problems:
        raise ValueError(f"{what} does not fit the model: {'; '.join(problems)}")


def torchvision_version(keys) -> str:
    """"v1" (maskrcnn_resnet50_fpn: box head fc6/fc7) or "v2" (maskrcnn_resnet50_fpn_v2:
    convolutional box head ``roi_heads.box_head.0.0.weight``) from a state dict's keys.
    Raises ValueError when the keys are not a torchvision Mask R-CNN's."""
    keys = set(keys)
    v1, v2 = V1_KEY in keys, V2_KEY in keys
    if v1 != v2:
        return "v1" if v1 else "v2"
    why = "both" if v1 else "neither"
    raise ValueError(f"not a torchvision Mask R-CNN state dict: it has {why} of {V1_KEY!r} "
                     f"(v1) and {V2_KEY!r} (v2)")


def torchvision_num_classes(tensors: Mapping) -> int | None:
    """NUM_CLASSES (background included; 91 for COCO) from the class-score weight, or None."""
    weight = tensors.get(CLASS_SCORE_KEY)
    return int(np.shape(weight)[0]) if weight is not None and np.ndim(weight) == 2 else None


def torchvision_backbone(keys) -> tuple:
    """(backbone name or None, ResNet layer3 block count) from a state dict's keys."""
    prefix = "backbone.body.layer3."
    blocks = len({k[len(prefix):].split(".", 1)[0] for k in keys if k.startswith(prefix)})
    return BACKBONE_BY_LAYER3_BLOCKS.get(blocks), blocks
