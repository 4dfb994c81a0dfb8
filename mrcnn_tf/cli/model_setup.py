"""Model set-up for the CLI: weights (path or "coco"), class names, Config, the MaskRCNN."""
from __future__ import annotations

import functools
import os
from pathlib import Path

COCO_NUM_CLASSES = 81


class SetupError(Exception):
    """A problem that stops the whole run (bad weights, class names, options)."""


def read_class_names(path, num_classes: int) -> list:
    """One class name a line (blank lines ignored), "BG" first. A file without the "BG" line
    but with NUM_CLASSES - 1 names gets "BG" prepended. The count must match NUM_CLASSES."""
    try:
        names = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as err:
        raise SetupError(f"--class-names {os.fspath(path)!r}: cannot read ({err})") from None
    names = [n for n in names if n]
    if len(names) == num_classes - 1 and names and names[0].lower() != "bg":
        names = ["BG"] + names
    if len(names) != num_classes:
        raise SetupError(f"--class-names {os.fspath(path)!r} has {len(names)} names but the "
                         f"weights have NUM_CLASSES={num_classes} (background \"BG\" included, "
                         "one name a line)")
    return names


def class_names_for(num_classes: int, path=None) -> tuple:
    """(class names, note or None): from the file, COCO's for 81 classes, else class_1..."""
    from mrcnn_tf.class_names import COCO_CLASS_NAMES

    if path is not None:
        return read_class_names(path, num_classes), None
    if num_classes == COCO_NUM_CLASSES:
        return list(COCO_CLASS_NAMES), None
    names = ["BG"] + [f"class_{i}" for i in range(1, num_classes)]
    return names, (f"the weights have {num_classes} classes and no --class-names file was "
                   "given: classes are named class_1, class_2, ...")


def resolve_weights(spec: str, *, quiet: bool) -> Path:
    """--weights value to a local file (downloading "coco" on first use)."""
    from mrcnn_tf.weights.fetch import DownloadError, resolve_weights as resolve

    try:
        return resolve(spec, progress=not quiet)
    except (DownloadError, FileNotFoundError, ValueError, OSError) as err:
        raise SetupError(str(err)) from None


def weights_info(path: Path):
    from mrcnn_tf.weights.info import inspect_weights

    try:
        info = inspect_weights(path)
    except (ValueError, OSError) as err:
        raise SetupError(str(err)) from None
    if info.backbone is None or info.num_classes is None:
        raise SetupError(f"{os.fspath(path)!r} does not look like Mask R-CNN weights "
                         f"(backbone {info.backbone}, NUM_CLASSES {info.num_classes})")
    return info


def load_model(path: Path, overrides: dict):
    """A MaskRCNN for the weights file with the config overrides (one model is kept per
    process, reused while the file and the overrides are unchanged)."""
    stat = path.stat()
    return _cached_model(str(path.resolve()), stat.st_mtime_ns, stat.st_size,
                         tuple(sorted(overrides.items())))


@functools.lru_cache(maxsize=1)
def _cached_model(path, mtime_ns, size, overrides):
    del mtime_ns, size  # part of the cache key only
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from mrcnn_tf.model import MaskRCNN
    from mrcnn_tf.weights.info import config_from_weights

    try:
        config = config_from_weights(path, NAME="mrcnn_tf_cli", IMAGES_PER_GPU=1,
                                     **dict(overrides))
    except ValueError as err:
        raise SetupError(str(err)) from None
    model = MaskRCNN(mode="inference", config=config)
    try:
        model.load_weights(path)
    except (ValueError, OSError) as err:
        raise SetupError(str(err)) from None
    return model
