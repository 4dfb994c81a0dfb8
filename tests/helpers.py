"""Shared test helpers: where the parity fixtures are, weights built from them, and what a test
does when an optional dependency is missing."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
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


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _required_by(*names: str) -> str | None:
    """The first of these environment settings that is on, as NAME=value, or None."""
    return next((f"{n}={os.environ[n]}" for n in names if _env_flag(n)), None)


def missing_extra(what: str, install: str, *, required_by: str | None = None):
    """Skip the calling test (or module, at import) because `what` is missing; `install` says
    how to get it. Fails instead under MRCNN_TF_REQUIRE_EXTRAS=1 (set by .ci/run, so that a
    broken install cannot turn tests into skips on a green run), or when required_by names
    another setting that requires it."""
    reason = f"{what}: {install}"
    required_by = required_by or _required_by("MRCNN_TF_REQUIRE_EXTRAS")
    if required_by:
        pytest.fail(f"{reason} (not skipped: {required_by})", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_extra(module_name: str, extra: str):
    """The imported module, or a skip naming the extra that installs it (a failure under
    MRCNN_TF_REQUIRE_EXTRAS=1). Use at module level or inside a test."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    missing_extra(f"{module_name} cannot be imported ({detail}); it comes with the [{extra}] "
                  "extra", "pip install -e '.[test]' installs every extra the tests use")


def same_machine_reference() -> Path:
    """matterport's detections made on this machine (MRCNN_TF_PARITY_REFERENCE, written by
    scripts/matterport_reference.py). Unset: the test skips, except under CI=true or
    MRCNN_TF_REQUIRE_EXTRAS=1, where it fails (.ci/run makes the reference)."""
    path = os.environ.get("MRCNN_TF_PARITY_REFERENCE")
    if not path:
        missing_extra(
            "scores within 1e-5 need matterport's detections made on this machine",
            "scripts/matterport_env.sh, then scripts/matterport_reference.py W.h5 --out F.npz "
            "in that environment, then MRCNN_TF_PARITY_REFERENCE=F.npz (as .ci/run does)",
            required_by=_required_by("MRCNN_TF_REQUIRE_EXTRAS", "CI"))
    if not Path(path).is_file():
        pytest.fail(f"MRCNN_TF_PARITY_REFERENCE={path} is not a file", pytrace=False)
    return Path(path)


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
