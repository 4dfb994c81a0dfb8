"""Shared test helpers: where the parity fixtures are, and weights built from them."""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import skimage.data

REPO = Path(__file__).resolve().parents[1]
PARITY_DIR = Path(os.environ.get("MRCNN_TF_PARITY_DIR", REPO.parent / "shared" / "parity"))
REFERENCE_IMAGES = ("astronaut", "coffee", "chelsea")


def make_weights(manifest_name: str, out_path, seed: int = 0):
    """Write deterministic weights with shared/parity/make_weights.py for a manifest there."""
    spec = importlib.util.spec_from_file_location("make_weights", PARITY_DIR / "make_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(PARITY_DIR / manifest_name) as f:
        module.write(json.load(f), str(out_path), seed)
    return Path(out_path)


TV_DIR = PARITY_DIR / "torchvision"


def make_tv_weights(version: str, out_path, seed: int = 0):
    """Write torchvision Mask R-CNN weights ("v1" or "v2") as a state-dict .npz with
    shared/parity/torchvision/make_tv_weights.py (about 180 MB)."""
    spec = importlib.util.spec_from_file_location("make_tv_weights",
                                                  TV_DIR / "make_tv_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(TV_DIR / f"manifest_tv_{version}.json") as f:
        np.savez(out_path, **module.make(json.load(f), seed))
    return Path(out_path)


def tv_reference_results(version: str, name: str) -> dict:
    """torchvision's detections (reference_tv_<version>.npz) as a detect() result: boxes
    (x1, y1, x2, y2) reordered to (y1, x1, y2, x2) and rounded to whole pixels."""
    with np.load(TV_DIR / f"reference_tv_{version}.npz") as data:
        boxes = data[f"{name}/boxes"]
        return {"rois": np.round(boxes[:, [1, 0, 3, 2]]).astype(np.int32),
                "class_ids": data[f"{name}/labels"].astype(np.int32),
                "scores": data[f"{name}/scores"], "masks": data[f"{name}/masks"]}


# matterport's detections made on this machine by scripts/matterport_reference.py (optional)
SAME_MACHINE_REFERENCE = os.environ.get("MRCNN_TF_PARITY_REFERENCE")


def reference_results(name: str, path=None) -> dict:
    """matterport's detections for a skimage image name, from reference_r101_coco.npz (or
    the file at path, in the same layout)."""
    with np.load(path or PARITY_DIR / "reference_r101_coco.npz") as data:
        return {key: data[f"{name}/{key}"] for key in ("rois", "class_ids", "scores", "masks")}


def skimage_image(name: str) -> np.ndarray:
    """An RGB uint8 image from skimage.data (grayscale stacked, alpha dropped)."""
    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return image[..., :3]


def shapes_dataset(count, height, width, *, seed, dataset_class=None):
    """A prepared mrcnn_tf.data.ShapesDataset (or subclass) of count synthetic images."""
    from mrcnn_tf.data import ShapesDataset

    dataset = (dataset_class or ShapesDataset)()
    dataset.load_shapes(count, height, width, seed=seed)
    dataset.prepare()
    return dataset


def tiny_backbone(image, train_bn=False):
    """A Config.BACKBONE callable for fast tests: C2..C5 at strides 4, 8, 16, 32, one strided
    3x3 convolution each (layers tiny0..tiny4)."""
    from keras import layers

    x, maps = image, []
    for stage, filters in enumerate((8, 8, 16, 16, 32)):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu",
                          name=f"tiny{stage}")(x)
        if stage:
            maps.append(x)
    return maps
