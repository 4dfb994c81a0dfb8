"""weights.info: backbone, NUM_CLASSES and counts read from the file; Config inferred."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from mrcnn_tf.config import Config
from mrcnn_tf.weights.info import config_from_weights, inspect_weights
from tests.helpers import PARITY_DIR


def write_layout(path, *, res4_blocks, num_classes=None, nested=False):
    """A tiny file in matterport's layout with the given res4 blocks and class count."""
    letters = "abcdefghijklmnopqrstuvw"[:res4_blocks]
    layers = {"conv1": {"conv1/kernel:0": (1, 1, 3, 2)}}
    for letter in letters:
        layers[f"res4{letter}_branch2a"] = {f"res4{letter}_branch2a/kernel:0": (1, 1, 2, 2)}
    layers["activation_1"] = {}
    if num_classes:
        layers["mrcnn_class_logits"] = {"mrcnn_class_logits/kernel:0": (8, num_classes),
                                        "mrcnn_class_logits/bias:0": (num_classes,)}
    with h5py.File(path, "w") as f:
        root = f.create_group("model_weights") if nested else f
        root.attrs["layer_names"] = np.array([n.encode() for n in layers], dtype="S")
        for layer, weights in layers.items():
            group = root.create_group(layer)
            group.attrs["weight_names"] = np.array([n.encode() for n in weights], dtype="S")
            for name, shape in weights.items():
                group.create_dataset(name, data=np.zeros(shape, np.float32))
    return path


def manifest_totals(name):
    with open(PARITY_DIR / name) as f:
        layers = json.load(f)["layers"]
    return len(layers), sum(int(np.prod(shape)) for _, _, shape in layers)


def test_resnet50_coco_fixture(r50_weights):
    info = inspect_weights(r50_weights)
    assert (info.backbone, info.res4_blocks, info.num_classes) == ("resnet50", 6, 81)
    assert (info.tensor_count, info.parameter_count) == manifest_totals("manifest_r50.json")
    assert info.size_bytes == r50_weights.stat().st_size
    assert info.layer_count == info.weighted_layer_count > 100
    text = info.describe()
    assert "resnet50" in text and "81" in text and f"{info.size_bytes:,}" in text


def test_resnet101_coco_fixture(r101_weights):
    info = inspect_weights(r101_weights)
    assert (info.backbone, info.res4_blocks, info.num_classes) == ("resnet101", 23, 81)
    assert (info.tensor_count, info.parameter_count) == manifest_totals("manifest_r101.json")


@pytest.mark.parametrize("nested", [False, True])
def test_other_class_counts_and_whole_model_files(tmp_path, nested):
    path = write_layout(tmp_path / "balloon.h5", res4_blocks=6, num_classes=2, nested=nested)
    info = inspect_weights(path)
    assert (info.backbone, info.num_classes) == ("resnet50", 2)
    assert (info.layer_count, info.weighted_layer_count, info.tensor_count) == (9, 8, 9)


def test_unknown_backbone_and_missing_head(tmp_path):
    info = inspect_weights(write_layout(tmp_path / "odd.h5", res4_blocks=4))
    assert info.backbone is None and info.num_classes is None and info.res4_blocks == 4
    assert "unknown (4 res4 blocks)" in info.describe()


def test_config_from_weights_fills_in_what_the_user_did_not_give(tmp_path):
    path = write_layout(tmp_path / "shapes.h5", res4_blocks=23, num_classes=4)
    config = config_from_weights(path, IMAGE_MAX_DIM=512, IMAGE_MIN_DIM=256)
    assert (config.BACKBONE, config.NUM_CLASSES, config.IMAGE_MAX_DIM) == ("resnet101", 4, 512)
    assert config_from_weights(path, NUM_CLASSES=7).NUM_CLASSES == 7

    class ShapesConfig(Config):
        NUM_CLASSES = 3
        BACKBONE = "resnet50"

    config = config_from_weights(path, config_class=ShapesConfig)
    assert isinstance(config, ShapesConfig)
    assert (config.BACKBONE, config.NUM_CLASSES) == ("resnet50", 3)


def test_config_from_weights_says_what_it_cannot_tell(tmp_path):
    path = write_layout(tmp_path / "backbone_only.h5", res4_blocks=6)
    with pytest.raises(ValueError, match="cannot tell NUM_CLASSES.*give NUM_CLASSES yourself"):
        config_from_weights(path)
    assert config_from_weights(path, NUM_CLASSES=5).BACKBONE == "resnet50"


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        inspect_weights(tmp_path / "nothing.h5")
    junk = tmp_path / "mask_rcnn_coco.h5"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ValueError, match="not a readable HDF5 file.*257,557,808 bytes"):
        inspect_weights(junk)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("x", data=[1])
    with pytest.raises(ValueError, match="no 'layer_names'"):
        inspect_weights(other)


def tiny_torchvision_state_dict(version) -> dict:
    """Every key of torchvision's Mask R-CNN (v1 or v2) with one value each, except the class
    scores [91, 2]: enough for what the keys and that shape tell."""
    with open(PARITY_DIR / "torchvision" / f"manifest_tv_{version}.json") as f:
        keys = [key for key, _, _ in json.load(f)["tensors"]]
    return {key: np.zeros((91, 2) if key == "roi_heads.box_predictor.cls_score.weight" else (1,),
                          np.int64 if key.endswith("num_batches_tracked") else np.float32)
            for key in keys}


@pytest.mark.parametrize("version, kind", [("v1", "npz"), ("v2", "pth")])
def test_torchvision_state_dicts(tmp_path, version, kind):
    from tests.weights.torch_files import contiguous, write_torch_zip

    tensors = tiny_torchvision_state_dict(version)
    path = tmp_path / f"maskrcnn_{version}.{kind}"
    if kind == "npz":
        np.savez(path, **tensors)
    else:
        write_torch_zip(path, {key: contiguous(str(i), value)
                               for i, (key, value) in enumerate(tensors.items())})
    info = inspect_weights(path)
    assert (info.family, info.version, info.backbone, info.res4_blocks, info.num_classes) == (
        "torchvision", version, "resnet50", 6, 91)
    assert info.tensor_count == len(tensors) == {"v1": 360, "v2": 432}[version]
    model = {"v1": "maskrcnn_resnet50_fpn", "v2": "maskrcnn_resnet50_fpn_v2"}[version]
    text = info.describe()
    assert f"torchvision {version} ({model})" in text and "91 (NUM_CLASSES" in text


def test_small_torchvision_fixture_and_matterport_family(r50_weights):
    info = inspect_weights(PARITY_DIR / "torchvision" / "small_checkpoint.pth")
    assert (info.family, info.version, info.tensor_count) == ("torchvision", "v1", 8)
    assert (info.backbone, info.num_classes) == (None, None)
    assert inspect_weights(r50_weights).family == "matterport"
    assert "matterport (Keras HDF5)" in inspect_weights(r50_weights).describe()
