"""What a weights file holds, read from the file itself (h5py / numpy only; no TensorFlow).

torchvision state dicts (``.pth``, ``.npz``, ``.safetensors``; see weights/state_dict.py) tell
their version (v1: box head ``fc6``/``fc7``; v2: convolutional box head), NUM_CLASSES (rows of
``roi_heads.box_predictor.cls_score.weight``) and backbone (ResNet ``layer3`` blocks).

matterport-layout files (Keras 2 HDF5, ``layer_names`` at the root or under
``model_weights``) tell their own architecture:
- backbone: ResNet-50 has 6 ``res4`` blocks (res4a..res4f), ResNet-101 has 23 (res4a..res4w);
- NUM_CLASSES: the last axis of ``mrcnn_class_logits``'s kernel [1024, NUM_CLASSES].
``config_from_weights`` builds a Config with those, so any matterport-trained ``.h5``
(COCO, balloon, a custom data set) loads without the user stating them.
"""
from __future__ import annotations

import dataclasses
import os
import re

import numpy as np

from mrcnn_tf.class_names import default_class_names
from mrcnn_tf.config import Config
from mrcnn_tf.weights.formats import STATE_DICT_KINDS, TORCH_LEGACY, file_kind
from mrcnn_tf.weights.h5file import decode_names, open_weights_file, read_class_names

BACKBONE_BY_RES4_BLOCKS = {6: "resnet50", 23: "resnet101"}
RES4_BLOCK = re.compile(r"^res4[a-z]\d*_branch2a$")
CLASS_LOGITS_LAYER = "mrcnn_class_logits"


@dataclasses.dataclass(frozen=True)
class WeightsInfo:
    """Summary of a weights file. backbone / num_classes are None when the file does not
    show them (e.g. a backbone-only file has no mrcnn_class_logits)."""

    path: str
    size_bytes: int
    backbone: str | None
    res4_blocks: int  # ResNet stage-4 blocks (torchvision: layer3 blocks)
    num_classes: int | None
    layer_count: int  # entries in layer_names (torchvision: modules holding tensors)
    weighted_layer_count: int  # of those, layers holding weights
    tensor_count: int
    parameter_count: int
    family: str = "matterport"  # the family's name (families.ModelFamily.inspect sets it)
    version: str | None = None  # torchvision: "v1" or "v2" (None: not a Mask R-CNN's keys)
    kind: str = "matterport (Keras HDF5)"  # what the file is, in words
    block_name: str = "res4"  # the ResNet stage res4_blocks counts
    layer_word: str = "layers"  # what layer_count counts

    def describe(self) -> str:
        """Human-readable lines for ``mrcnn-tf weights info``."""
        backbone = self.backbone or f"unknown ({self.res4_blocks} {self.block_name} blocks)"
        classes = (f"{self.num_classes} (NUM_CLASSES, background included)"
                   if self.num_classes else "unknown (no class-score layer)")
        weighted = ("" if self.weighted_layer_count == self.layer_count
                    else f" ({self.weighted_layer_count} with weights)")
        return "\n".join([
            f"file        {self.path}",
            f"size        {self.size_bytes:,} bytes ({self.size_bytes / 2**20:.1f} MiB)",
            f"family      {self.kind}",
            f"backbone    {backbone}",
            f"classes     {classes}",
            f"layers      {self.layer_count} {self.layer_word}{weighted}, "
            f"{self.tensor_count} tensors, {self.parameter_count:,} parameters"])


def inspect_weights(path) -> WeightsInfo:
    """Read a weights file's layout: family, backbone, NUM_CLASSES, counts, size. matterport
    HDF5 files are read without their values; state dicts are read whole."""
    path = os.fspath(path)
    if file_kind(path) in STATE_DICT_KINDS + (TORCH_LEGACY,):
        return inspect_state_dict(path)
    f, root = open_weights_file(path)
    with f:
        layers = decode_names(root.attrs["layer_names"])
        weighted = tensors = parameters = 0
        num_classes = None
        for layer in layers:
            names = decode_names(root[layer].attrs.get("weight_names", [])) if layer in root else []
            weighted += bool(names)
            tensors += len(names)
            for name in names:
                shape = root[layer][name].shape
                parameters += int(np.prod(shape))
                if layer == CLASS_LOGITS_LAYER and "kernel" in name and len(shape) == 2:
                    num_classes = int(shape[-1])
    blocks = sum(bool(RES4_BLOCK.match(name)) for name in layers)
    return WeightsInfo(path=path, size_bytes=os.path.getsize(path),
                       backbone=BACKBONE_BY_RES4_BLOCKS.get(blocks), res4_blocks=blocks,
                       num_classes=num_classes, layer_count=len(layers),
                       weighted_layer_count=weighted, tensor_count=tensors,
                       parameter_count=parameters)


def inspect_state_dict(path) -> WeightsInfo:
    """WeightsInfo of a torchvision state dict file (.pth, .npz, .safetensors)."""
    from mrcnn_tf.weights.state_dict import (read_state_dict, torchvision_backbone,
                                             torchvision_num_classes, torchvision_version)

    path = os.fspath(path)
    tensors = read_state_dict(path)
    try:
        version = torchvision_version(tensors)
    except ValueError:
        version = None
    backbone, blocks = torchvision_backbone(tensors)
    modules = {key.rsplit(".", 1)[0] for key in tensors}
    parameters = sum(int(v.size) for v in tensors.values()
                     if not np.issubdtype(v.dtype, np.integer))
    model = {"v1": "maskrcnn_resnet50_fpn", "v2": "maskrcnn_resnet50_fpn_v2"}
    kind = (f"torchvision {version} ({model[version]}), state dict" if version
            else "torchvision-style state dict (not Mask R-CNN's keys)")
    return WeightsInfo(path=path, size_bytes=os.path.getsize(path), backbone=backbone,
                       res4_blocks=blocks, num_classes=torchvision_num_classes(tensors),
                       layer_count=len(modules), weighted_layer_count=len(modules),
                       tensor_count=len(tensors), parameter_count=parameters,
                       family="torchvision", version=version, kind=kind,
                       block_name="layer3", layer_word="modules")


def _declared(config_class, field) -> bool:
    """True when config_class (a Config subclass) sets the field itself."""
    for klass in config_class.__mro__:
        if klass is Config:
            return False
        if field in vars(klass):
            return True
    return False


def config_from_weights(path, *, config_class=Config, **overrides) -> Config:
    """A Config whose BACKBONE and NUM_CLASSES come from the weights file, unless given.

    Given means passed in ``overrides`` or set as a class attribute by ``config_class``
    (e.g. ``class MyConfig(Config): NUM_CLASSES = 4``). Other fields come from overrides
    and config_class as usual. Raises ValueError when a needed value cannot be read from the
    file.
    """
    info = None
    fields = {}
    for field, attribute in (("BACKBONE", "backbone"), ("NUM_CLASSES", "num_classes")):
        if field in overrides or _declared(config_class, field):
            continue
        info = info or inspect_weights(path)
        value = getattr(info, attribute)
        if value is None:
            why = (f"{info.res4_blocks} res4 blocks (ResNet-50 has 6, ResNet-101 has 23)"
                   if field == "BACKBONE" else "no mrcnn_class_logits layer")
            raise ValueError(f"cannot tell {field} from {os.fspath(path)!r}: {why}; "
                             f"give {field} yourself")
        fields[field] = value
    return config_class(**fields, **overrides)


def class_names_of(weights) -> tuple:
    """The class names that come with a weights argument: a published name ("coco", ...) has
    its preset's (no download needed); a file the names it carries (save_weights writes
    them), else class_names.default_class_names for its class count and family. Raises
    ValueError when a file does not tell its class count, OSError when it cannot be read."""
    from mrcnn_tf.weights.published import preset_named

    preset = preset_named(weights)
    if preset is not None:
        return preset.class_names
    path = os.fspath(weights)
    carried = read_class_names(path)
    if carried is not None:
        return carried
    info = inspect_weights(path)
    if info.num_classes is None:
        raise ValueError(f"{path!r} does not tell its class count (no class-score layer)")
    return default_class_names(info.num_classes, info.family)
