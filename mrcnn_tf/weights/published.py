"""What is known about published weights files: where they are, their size and digest, what
they hold, and where the cache keeps them. No network, no TensorFlow.

A digest is an algorithm and a hexadecimal value, or a prefix of it: torch.hub publishes the
first 8 hex digits of a file's SHA-256 in its name (``...-bf2d0c1e.pth``), and checks that the
file's SHA-256 starts with them; matterport's COCO file has a published MD5.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from mrcnn_tf.class_names import COCO_NAMES_BY_FAMILY
from mrcnn_tf.weights.formats import KERAS_H5, TORCH
from mrcnn_tf.weights.h5file import COCO_WEIGHTS_SIZE


@dataclasses.dataclass(frozen=True)
class Digest:
    """A file digest: algorithm (a hashlib name such as "md5" or "sha256") and its hex value,
    or a prefix of that value (at least 8 digits), as torch.hub file names carry."""

    algorithm: str
    value: str

    def __post_init__(self):
        hashlib.new(self.algorithm)  # ValueError for an unknown algorithm
        value = self.value.lower()
        if len(value) < 8 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError(f"digest {self.value!r}: expected at least 8 hex digits")
        object.__setattr__(self, "value", value)

    @classmethod
    def parse(cls, text) -> "Digest":
        """A Digest from "algorithm:hex" (e.g. "sha256:73cbd019") or a Digest."""
        if isinstance(text, Digest):
            return text
        algorithm, sep, value = str(text).partition(":")
        if not sep:
            raise ValueError(f"digest {text!r}: expected 'algorithm:hex', e.g. 'md5:e98aaff6...'")
        return cls(algorithm.strip().lower(), value.strip())

    def matches(self, hexdigest: str) -> bool:
        """True when the full hex digest of a file starts with (or equals) this value."""
        return hexdigest.lower().startswith(self.value)

    def __str__(self):
        full = len(self.value) == hashlib.new(self.algorithm).digest_size * 2
        return f"{self.algorithm.upper()} {self.value}" + ("" if full else "...")


@dataclasses.dataclass(frozen=True)
class PublishedWeights:
    """A published weights file: where it is, its size and digest, what it was trained for.

    family: "matterport" (Keras 2 HDF5) or "torchvision" (a torch state dict); version: the
    torchvision model version ("v1", "v2"), None for matterport's; file_format: KERAS_H5 or
    TORCH (a torch.save file, zip or legacy), the check a download must pass before it is
    kept (formats.check_format). box_ap / mask_ap: the publisher's COCO val AP (None when
    not published).
    """

    name: str
    filename: str
    url: str
    size: int
    digest: Digest
    url_env: str  # environment variable that overrides the URL (mirrors)
    backbone: str
    num_classes: int
    family: str = "matterport"
    version: str | None = None
    file_format: str = KERAS_H5
    box_ap: float | None = None
    mask_ap: float | None = None

    @property
    def class_names(self) -> tuple:
        """The names of the classes it was trained for (index = class id, "BG" first)."""
        return COCO_NAMES_BY_FAMILY[self.family]

    def describe(self) -> str:
        """One line: name, family, backbone, classes, the publisher's AP."""
        family = self.family + (f" {self.version}" if self.version else "")
        ap = "/".join(f"{v:.1f}" for v in (self.box_ap, self.mask_ap) if v is not None)
        kinds = "box / mask" if self.mask_ap is not None else "box"
        return (f"{self.name:15} {family:15} {self.backbone:10} {self.num_classes} classes"
                + (f"  COCO {kinds} AP {ap}" if ap else ""))


COCO = PublishedWeights(
    name="coco", filename="mask_rcnn_coco.h5",
    url="https://github.com/matterport/Mask_RCNN/releases/download/v2.0/mask_rcnn_coco.h5",
    size=COCO_WEIGHTS_SIZE, digest=Digest("md5", "e98aaff6f99e307b5e2a8a3ff741a518"),
    url_env="MRCNN_TF_COCO_URL", backbone="resnet101", num_classes=81, box_ap=34.7)
TORCHVISION_V1 = PublishedWeights(
    name="torchvision-v1", filename="maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth",
    url="https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth",
    size=178_090_079, digest=Digest("sha256", "bf2d0c1e"),
    url_env="MRCNN_TF_TORCHVISION_V1_URL", backbone="resnet50", num_classes=91,
    family="torchvision", version="v1", file_format=TORCH, box_ap=37.9, mask_ap=34.6)
TORCHVISION_V2 = PublishedWeights(
    name="torchvision-v2", filename="maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth",
    url="https://download.pytorch.org/models/maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth",
    size=185_828_065,
    digest=Digest("sha256", "73cbd0190fcbe3ba339921fbce2c3a0b6bb9126c9a133c85e43a2a8e060a109e"),
    url_env="MRCNN_TF_TORCHVISION_V2_URL", backbone="resnet50", num_classes=91,
    family="torchvision", version="v2", file_format=TORCH, box_ap=47.4, mask_ap=41.8)
PUBLISHED = {spec.name: spec for spec in (COCO, TORCHVISION_V1, TORCHVISION_V2)}


def presets() -> tuple:
    """The published weights ``MaskRCNN.from_preset`` knows, as PublishedWeights (name,
    family, backbone, num_classes, class_names, box_ap, mask_ap, ...)."""
    return tuple(PUBLISHED.values())


def preset_named(weights) -> PublishedWeights | None:
    """The PublishedWeights a weights argument names ("coco", "TORCHVISION-V2", ...), or None
    when it is an existing file (a file wins over a preset's name) or names no preset."""
    text = os.fspath(weights)
    if Path(text).expanduser().is_file():
        return None
    return PUBLISHED.get(str(text).lower())


def cache_dir() -> Path:
    """``$MRCNN_TF_HOME`` if set, else ``~/.cache/mrcnn_tf``."""
    home = os.environ.get("MRCNN_TF_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "mrcnn_tf"


def published(name) -> PublishedWeights:
    """The PublishedWeights called name ("coco", "torchvision-v1", "torchvision-v2"), or name
    itself when it is a PublishedWeights; ValueError listing the known names."""
    if isinstance(name, PublishedWeights):
        return name
    try:
        return PUBLISHED[str(name).lower()]
    except KeyError:
        raise ValueError(f"unknown published weights {name!r}; known: "
                         f"{', '.join(PUBLISHED)}") from None


def cached_path(name="coco", *, directory=None) -> Path:
    """Where fetch(name) keeps the file (it may not exist yet)."""
    return Path(directory or cache_dir()) / published(name).filename
