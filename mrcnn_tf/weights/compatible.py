"""Does a matterport-layout weights file fit a model? The checks of a strict load_weights.

A file fits when its backbone (the number of ``res4`` blocks: 6 = ResNet-50, 23 = ResNet-101,
none = a Config.BACKBONE callable of your own) and its NUM_CLASSES (the width of
``mrcnn_class_logits``) are the model's, and the file and the model hold the same layers
(layers in ``exclude`` left aside). Each mismatch is a ValueError that names both sides and
the ways on: ``MaskRCNN.from_weights(path)`` builds the model the file fits,
``exclude=CLASS_SPECIFIC_LAYERS`` starts the class-specific head layers afresh, and
``strict=False`` loads the layers they share on purpose.
"""
from __future__ import annotations

import os

from mrcnn_tf.weights.info import BACKBONE_BY_RES4_BLOCKS, CLASS_LOGITS_LAYER, RES4_BLOCK

# Layers whose shapes depend on NUM_CLASSES: exclude them to fine-tune on other classes.
CLASS_SPECIFIC_LAYERS = ("mrcnn_class_logits", "mrcnn_bbox_fc", "mrcnn_mask")
FROM_WEIGHTS = "MaskRCNN.from_weights(path) builds the model the file fits"
PARTIAL = "load_weights(..., strict=False) loads the layers they share, on purpose"


def res4_blocks(layer_names) -> int:
    """How many ResNet res4 blocks the layer names hold (0 for other backbones)."""
    return sum(bool(RES4_BLOCK.match(name)) for name in layer_names)


def backbone_words(blocks: int) -> str:
    """'ResNet-50 (6 res4 blocks)', or what else the block count says."""
    name = BACKBONE_BY_RES4_BLOCKS.get(blocks)
    if name:
        return f"{name.replace('resnet', 'ResNet-')} ({blocks} res4 blocks)"
    if blocks == 0:
        return "a backbone without ResNet res4 blocks (a Config.BACKBONE callable)"
    return f"a ResNet with {blocks} res4 blocks"


def _shorten(names, limit=6):
    names = list(names)
    return ", ".join(names[:limit]) + (f", ... ({len(names) - limit} more)"
                                       if len(names) > limit else "")


def file_num_classes(file_layers: dict) -> int | None:
    """NUM_CLASSES of a file read by h5file.read_weights (None without the class logits)."""
    for weight_name, value in file_layers.get(CLASS_LOGITS_LAYER, []):
        if "kernel" in weight_name and value.ndim == 2:
            return int(value.shape[-1])
    return None


def model_num_classes(model_layers: dict) -> int | None:
    """NUM_CLASSES of a model, from its mrcnn_class_logits kernel [features, NUM_CLASSES]."""
    layer = model_layers.get(CLASS_LOGITS_LAYER)
    kernels = [w for w in (layer.weights if layer is not None else []) if len(w.shape) == 2]
    return int(kernels[0].shape[-1]) if kernels else None


def check_backbone(path, file_layers: dict, model_layers: dict) -> None:
    """ValueError when the file's backbone is not the model's."""
    in_file, in_model = res4_blocks(file_layers), res4_blocks(model_layers)
    if in_file != in_model:
        hint = BACKBONE_BY_RES4_BLOCKS.get(in_file)
        config = f", or build the model with Config(BACKBONE={hint!r})" if hint else ""
        raise ValueError(
            f"weights file {os.fspath(path)!r} has {backbone_words(in_file)} but the model has "
            f"{backbone_words(in_model)}: {FROM_WEIGHTS} (BACKBONE and NUM_CLASSES read from "
            f"it){config}; {PARTIAL}")


def check_num_classes(path, file_layers: dict, model_layers: dict, exclude) -> None:
    """ValueError when the file and the model differ in NUM_CLASSES and the class-specific
    layers are not all excluded."""
    in_file, in_model = file_num_classes(file_layers), model_num_classes(model_layers)
    loading = [n for n in CLASS_SPECIFIC_LAYERS
               if n not in exclude and n in model_layers and n in file_layers]
    if in_file is None or in_model is None or in_file == in_model or not loading:
        return
    raise ValueError(
        f"weights file {os.fspath(path)!r} has NUM_CLASSES={in_file} but the model has "
        f"NUM_CLASSES={in_model} (background included): to fine-tune on the model's classes "
        f"pass exclude={list(CLASS_SPECIFIC_LAYERS)} (weights.hdf5.CLASS_SPECIFIC_LAYERS; "
        f"those head layers start afresh); to use the file's classes, {FROM_WEIGHTS}")


def check_same_layers(path, missing, unused) -> None:
    """ValueError when model layers are missing from the file or file layers are unused."""
    if not missing and not unused:
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} model layers are not in the file ({_shorten(missing)})")
    if unused:
        parts.append(f"{len(unused)} file layers are not in the model ({_shorten(unused)})")
    raise ValueError(
        f"weights file {os.fspath(path)!r} was written for another model: "
        f"{'; '.join(parts)}. {FROM_WEIGHTS}; exclude=[...] leaves model layers out on "
        f"purpose; {PARTIAL}")


def check_family(path, kind) -> None:
    """ValueError when the file is not a matterport-layout (Keras HDF5) file but, e.g., a
    torchvision state dict."""
    from mrcnn_tf.weights.formats import KERAS_H5, describe_kind

    if kind not in (KERAS_H5, None):
        raise ValueError(
            f"weights file {os.fspath(path)!r} is {describe_kind(kind)} (torchvision's "
            "layout), not the matterport-layout Keras HDF5 weights this model loads: "
            f"{FROM_WEIGHTS}, or read its tensors with mrcnn_tf.weights.read_state_dict")
