"""Configuration: matterport's field names and defaults, validated.

Two ways to set fields, both as in matterport:

    class BalloonConfig(Config):          # class attributes
        NAME = "balloon"
        NUM_CLASSES = 2

    config = Config(NUM_CLASSES=4, BACKBONE="resnet50")   # keyword overrides

Derived fields (``BATCH_SIZE``, ``IMAGE_SHAPE``, ``IMAGE_META_SIZE``) are computed from the
others each time they are read, so they are never stale after a field is changed; setting one
is an error that names the fields it comes from.
An unknown or misspelt field raises ``ValueError`` naming the closest valid fields;
impossible values raise ``ValueError`` naming the field and the problem.
"""
from __future__ import annotations

import dataclasses
import difflib
import json

import numpy as np

BACKBONES = ("resnet50", "resnet101")
@dataclasses.dataclass(frozen=True)
class ResizeRule:
    """What one resize mode does.

    scale_up: scale so the short side reaches IMAGE_MIN_DIM (and the scale is at least
    IMAGE_MIN_SCALE); never below 1. cap: then lower the scale so that the rounded long side
    is at most IMAGE_MAX_DIM. pad: "square" (centred to IMAGE_MAX_DIM x IMAGE_MAX_DIM),
    "multiple64" (each side centred up to a multiple of 64), "none", or "crop" (training
    only: a random IMAGE_MIN_DIM square crop instead of padding).
    """

    scale_up: bool
    cap: bool
    pad: str


# IMAGE_RESIZE_MODE -> what it does (matterport's utils.resize_image; ops.resize.ResizeSpec
# computes it): adding a mode is a row here. Other families have their own modes
# (TorchvisionConfig's "torchvision", ops.torchvision_resize).
RESIZE_RULES = {
    "square": ResizeRule(scale_up=True, cap=True, pad="square"),
    "pad64": ResizeRule(scale_up=True, cap=False, pad="multiple64"),
    "fit64": ResizeRule(scale_up=True, cap=True, pad="multiple64"),
    "none": ResizeRule(scale_up=False, cap=False, pad="none"),
    "crop": ResizeRule(scale_up=True, cap=False, pad="crop"),
}
COMPUTE_DTYPES = ("float32", "bfloat16", "float16", "auto")
# Resizing libraries of images and masks: scikit-image (matterport's numbers) or OpenCV
RESIZE_LIBRARIES = ("skimage", "opencv")
# Fields computed from the others; they may not be set directly.
DERIVED_FIELDS = ("BATCH_SIZE", "IMAGE_SHAPE", "IMAGE_META_SIZE")
# matterport fields this package does not need, with what to do instead
RETIRED_FIELDS = {"COMPUTE_BACKBONE_SHAPE": "backbone feature shapes follow BACKBONE_STRIDES "
                                            "here; remove the field"}


class _Derived:
    """A read-only Config field computed from others (see the module docstring)."""

    def __init__(self, compute, sources: str):
        self.compute, self.sources = compute, sources

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, config, owner=None):
        return self if config is None else self.compute(config)

    def __set__(self, config, value):
        raise ValueError(f"Config field {self.name} is derived from {self.sources} and cannot be "
                         "set; set those instead")


class Config:
    """Mask R-CNN configuration with matterport's defaults.

    Every upper-case class attribute below is a field. Subclass and override, or pass
    ``Config(FIELD=value, ...)``. Arrays (``MEAN_PIXEL``, ``*_STD_DEV``) are stored as
    numpy arrays whatever sequence they are given as.

    A model family's Config class (this one is matterport's) says which ARCHITECTURE values
    it takes (``architectures``), checks its family's fields (``validate_family``) and names
    its fast mode (``fast_mode``: the fields ``mrcnn-tf --fast`` sets).
    """

    architectures = ("matterport",)
    fast_mode = {"COMPUTE_DTYPE": "auto", "LOW_PRECISION_HEADS": True,
                 "IMAGE_RESIZE_MODE": "fit64", "RESIZE_LIBRARY": "opencv",
                 "FOLD_BATCH_NORM": True}

    NAME = None  # experiment name, used in checkpoint folder and file names
    GPU_COUNT = 1
    IMAGES_PER_GPU = 2  # images per replica and step; inference batches this many
    STEPS_PER_EPOCH = 1000
    VALIDATION_STEPS = 50

    # Model family: "matterport" (this package's layer names, matterport's weights); other
    # families have their own Config class (TorchvisionConfig: "torchvision_v1" / "_v2").
    ARCHITECTURE = "matterport"
    BACKBONE = "resnet101"  # "resnet50", "resnet101" or a callable (see modeling.backbone)
    BACKBONE_STRIDES = [4, 8, 16, 32, 64]  # strides of P2..P6 relative to the input
    FPN_CLASSIF_FC_LAYERS_SIZE = 1024
    TOP_DOWN_PYRAMID_SIZE = 256

    NUM_CLASSES = 1  # including background

    # Anchors: one scale per pyramid level; ratios are width / height.
    RPN_ANCHOR_SCALES = (32, 64, 128, 256, 512)
    RPN_ANCHOR_RATIOS = [0.5, 1, 2]
    RPN_ANCHOR_STRIDE = 1
    RPN_NMS_THRESHOLD = 0.7
    RPN_TRAIN_ANCHORS_PER_IMAGE = 256
    PRE_NMS_LIMIT = 6000  # proposals kept by RPN score before NMS
    POST_NMS_ROIS_TRAINING = 2000
    POST_NMS_ROIS_INFERENCE = 1000

    USE_MINI_MASK = True
    MINI_MASK_SHAPE = (56, 56)

    # Resizing: "square" scales so the short side reaches IMAGE_MIN_DIM, caps the long side at
    # IMAGE_MAX_DIM and zero-pads to IMAGE_MAX_DIM x IMAGE_MAX_DIM; "pad64" scales likewise
    # (without the cap) and pads each side to a multiple of 64; "fit64" scales as "square" (with
    # the cap) but pads each side only to the next multiple of 64, so a wide image is not padded
    # to a square (fewer pixels, faster; boxes are assigned to pyramid levels by the smaller
    # molded area, so results differ slightly from "square"); "none" leaves the image as is.
    IMAGE_RESIZE_MODE = "square"
    # Who resizes the image (molding) and the 28x28 masks (pasting): "skimage" (matterport's,
    # exact) or "opencv" (the same bilinear sampling and zero border, computed in float32 by
    # cv2.warpAffine: about 40x faster; values equal within float rounding, so a pixel or a
    # detection can still differ). The torchvision family resizes as torchvision does.
    RESIZE_LIBRARY = "skimage"
    IMAGE_MIN_DIM = 800
    IMAGE_MAX_DIM = 1024
    IMAGE_MIN_SCALE = 0
    IMAGE_CHANNEL_COUNT = 3
    MEAN_PIXEL = np.array([123.7, 116.8, 103.9])  # RGB, subtracted from every pixel
    # RGB, 0-255 units: the torchvision family divides the mean-subtracted pixels by it
    # (matterport's family does not normalize and ignores it)
    PIXEL_STD = np.array([1.0, 1.0, 1.0])

    TRAIN_ROIS_PER_IMAGE = 200
    ROI_POSITIVE_RATIO = 0.33
    POOL_SIZE = 7  # ROIAlign output of the classifier head
    MASK_POOL_SIZE = 14  # ROIAlign output of the mask head
    MASK_SHAPE = [28, 28]
    MAX_GT_INSTANCES = 100

    RPN_BBOX_STD_DEV = np.array([0.1, 0.1, 0.2, 0.2])
    BBOX_STD_DEV = np.array([0.1, 0.1, 0.2, 0.2])

    DETECTION_MAX_INSTANCES = 100
    DETECTION_MIN_CONFIDENCE = 0.7
    DETECTION_NMS_THRESHOLD = 0.3

    LEARNING_RATE = 0.001
    LEARNING_MOMENTUM = 0.9
    WEIGHT_DECAY = 0.0001
    LOSS_WEIGHTS = {
        "rpn_class_loss": 1.0,
        "rpn_bbox_loss": 1.0,
        "mrcnn_class_loss": 1.0,
        "mrcnn_bbox_loss": 1.0,
        "mrcnn_mask_loss": 1.0,
    }
    USE_RPN_ROIS = True
    # Training: BatchNorm stays in inference mode (frozen) unless this is True (then it learns
    # its statistics). Inference models always use the moving statistics.
    TRAIN_BN = False
    GRADIENT_CLIP_NORM = 5.0

    # Precision of the convolution stacks: "float32" (exact parity with matterport),
    # "bfloat16" (CPUs with AVX512-BF16/AMX, recent GPUs), "float16" (GPUs) or "auto" (float16
    # on a GPU, bfloat16 on a CPU with native bfloat16, else float32; MaskRCNN.compute_dtype
    # says what was picked). Softmax, box decoding, NMS and score thresholds always run in
    # float32.
    COMPUTE_DTYPE = "float32"
    # True: the classifier's and the mask head's convolutions (and their BatchNorm) run in
    # COMPUTE_DTYPE too; their class logits, box deltas and mask sigmoids stay float32.
    # False (default): the heads run in float32 whatever COMPUTE_DTYPE is.
    LOW_PRECISION_HEADS = False
    # True: inference models fold each BatchNorm into the convolution before it when weights
    # are loaded (one op less per layer; the same function up to float rounding, so not
    # matterport's numbers to the last bit). Such a model cannot save weights; training
    # models ignore the field.
    FOLD_BATCH_NORM = False

    def __init__(self, **overrides):
        valid = self.field_names()
        for name in [*self._declared_fields(), *overrides]:
            if name in DERIVED_FIELDS:
                raise ValueError(f"Config field {name} is derived from the others and cannot be set")
        unknown = [k for k in self._declared_fields() if k not in valid]
        for name, value in overrides.items():
            if name not in valid:
                unknown.append(name)
            setattr(self, name, value)
        if unknown:
            raise ValueError("; ".join(_unknown_message(name, valid) for name in unknown))
        if getattr(self.BACKBONE, "__self__", None) is self:
            # a function assigned in a subclass body (BACKBONE = my_backbone) is the function,
            # not a method of the config
            self.BACKBONE = self.BACKBONE.__func__
        for name in ("MEAN_PIXEL", "PIXEL_STD", "RPN_BBOX_STD_DEV", "BBOX_STD_DEV"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        self.validate()

    BATCH_SIZE = _Derived(lambda c: c.IMAGES_PER_GPU * c.GPU_COUNT, "IMAGES_PER_GPU x GPU_COUNT")
    IMAGE_SHAPE = _Derived(lambda c: np.array(
        [c.IMAGE_MIN_DIM if c.IMAGE_RESIZE_MODE == "crop" else c.IMAGE_MAX_DIM] * 2
        + [c.IMAGE_CHANNEL_COUNT]), "IMAGE_MAX_DIM (IMAGE_MIN_DIM in crop mode) and "
                                   "IMAGE_CHANNEL_COUNT")
    # image id, original shape, molded shape, window, scale, active class ids
    IMAGE_META_SIZE = _Derived(lambda c: 1 + 3 + 3 + 4 + 1 + c.NUM_CLASSES, "NUM_CLASSES")

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of all settable fields, in definition order."""
        return [k for k in vars(Config) if k.isupper() and k not in DERIVED_FIELDS]

    @classmethod
    def _declared_fields(cls) -> list[str]:
        """Upper-case class attributes a subclass declares."""
        names = []
        for klass in cls.__mro__:
            if klass is Config or klass is object:
                break
            names += [k for k in vars(klass) if k.isupper() and not k.startswith("_")]
        return names

    def validate(self) -> None:
        """Raise ValueError for values the model cannot run with: the fields every family
        shares, then the family's own (validate_family)."""
        fail = self._fail
        for field in ("GPU_COUNT", "IMAGES_PER_GPU", "NUM_CLASSES", "POST_NMS_ROIS_INFERENCE",
                      "POST_NMS_ROIS_TRAINING", "PRE_NMS_LIMIT", "DETECTION_MAX_INSTANCES",
                      "POOL_SIZE", "MASK_POOL_SIZE", "RPN_ANCHOR_STRIDE", "TOP_DOWN_PYRAMID_SIZE",
                      "FPN_CLASSIF_FC_LAYERS_SIZE", "IMAGE_CHANNEL_COUNT"):
            value = getattr(self, field)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                fail(field, "must be a positive integer")
        if self.NUM_CLASSES < 2:
            fail("NUM_CLASSES", "must be at least 2 (background plus one class)")
        if self.ARCHITECTURE not in self.architectures:
            fail("ARCHITECTURE", f"{type(self).__name__} takes {', '.join(self.architectures)}; "
                 f"another family's architecture needs that family's Config class (must be "
                 f"one of {', '.join(self.architectures)} here)")
        if not callable(self.BACKBONE) and self.BACKBONE not in BACKBONES:
            fail("BACKBONE", f"must be one of {', '.join(BACKBONES)} or a callable")
        if self.COMPUTE_DTYPE not in COMPUTE_DTYPES:
            fail("COMPUTE_DTYPE", f"must be one of {', '.join(COMPUTE_DTYPES)}")
        if self.RESIZE_LIBRARY not in RESIZE_LIBRARIES:
            fail("RESIZE_LIBRARY", f"must be one of {', '.join(RESIZE_LIBRARIES)}")
        for field in ("LOW_PRECISION_HEADS", "FOLD_BATCH_NORM"):
            if not isinstance(getattr(self, field), (bool, np.bool_)):
                fail(field, "must be True or False")
        if len(self.RPN_ANCHOR_SCALES) != len(self.BACKBONE_STRIDES):
            fail("RPN_ANCHOR_SCALES", "needs one scale per entry of BACKBONE_STRIDES")
        if len(self.BACKBONE_STRIDES) != 5:
            fail("BACKBONE_STRIDES", "needs five strides, for P2..P6")
        if len(self.RPN_ANCHOR_RATIOS) < 1 or not all(float(r) > 0 for r in self.RPN_ANCHOR_RATIOS):
            fail("RPN_ANCHOR_RATIOS", "needs one or more positive width / height ratios")
        if self.MEAN_PIXEL.shape != (self.IMAGE_CHANNEL_COUNT,):
            fail("MEAN_PIXEL", f"needs one value per channel ({self.IMAGE_CHANNEL_COUNT})")
        for field in ("RPN_BBOX_STD_DEV", "BBOX_STD_DEV"):
            if getattr(self, field).shape != (4,):
                fail(field, "needs four values (dy, dx, dh, dw)")
        for field in ("DETECTION_MIN_CONFIDENCE", "DETECTION_NMS_THRESHOLD", "RPN_NMS_THRESHOLD",
                      "ROI_POSITIVE_RATIO"):
            if not 0 <= float(getattr(self, field)) <= 1:
                fail(field, "must lie in [0, 1]")
        if len(self.MASK_SHAPE) != 2 or list(self.MASK_SHAPE) != [2 * self.MASK_POOL_SIZE] * 2:
            fail("MASK_SHAPE", f"must be twice MASK_POOL_SIZE ({self.MASK_POOL_SIZE}) on each side")
        unknown_losses = set(self.LOSS_WEIGHTS) - set(Config.LOSS_WEIGHTS)
        if unknown_losses:
            fail("LOSS_WEIGHTS", f"unknown losses {sorted(unknown_losses)}; valid: "
                                 f"{', '.join(Config.LOSS_WEIGHTS)}")
        self.validate_family()

    def validate_family(self) -> None:
        """matterport's own fields: its resize modes and their size rules."""
        if self.IMAGE_RESIZE_MODE not in RESIZE_RULES:
            self._fail("IMAGE_RESIZE_MODE", f"must be one of {', '.join(RESIZE_RULES)}")
        if self.IMAGE_RESIZE_MODE == "square" and self.IMAGE_MAX_DIM % 64:
            self._fail("IMAGE_MAX_DIM", "must be a multiple of 64 in square mode")
        if self.IMAGE_RESIZE_MODE == "pad64" and self.IMAGE_MIN_DIM % 64:
            self._fail("IMAGE_MIN_DIM", "must be a multiple of 64 in pad64 mode")

    def _fail(self, field, problem):
        raise ValueError(f"Config.{field}={getattr(self, field)!r}: {problem}")

    def to_dict(self) -> dict:
        """Effective values of all fields, derived ones included."""
        names = self.field_names() + list(DERIVED_FIELDS)
        return {name: getattr(self, name) for name in names}

    def to_json(self) -> str:
        """to_dict as JSON (arrays as lists, numpy scalars as numbers, anything else, e.g. a
        BACKBONE function, as its text): the exports' mrcnn_config.json."""
        def plain(value):
            if isinstance(value, np.ndarray):
                return value.tolist()
            if isinstance(value, (np.integer, np.floating)):
                return value.item()
            return value
        return json.dumps({k: plain(v) for k, v in self.to_dict().items()}, indent=1,
                          default=str)

    def display(self) -> None:
        """Print the effective values, one field a line (as matterport's)."""
        print("\nConfigurations:")
        for name, value in sorted(self.to_dict().items()):
            print(f"{name:30} {value}")
        print("\n")

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.to_dict().items()
                   if k not in DERIVED_FIELDS and not _same(v, getattr(Config, k))}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


class CocoConfig(Config):
    """matterport's COCO configuration: 80 classes plus background."""

    NAME = "coco"
    NUM_CLASSES = 81


class TorchvisionConfig(Config):
    """torchvision's maskrcnn_resnet50_fpn defaults (COCO, 91-entry label space): short side
    800 and long side at most 1333 (padded to a multiple of 32), ImageNet mean/std, per-level
    pre-NMS top 1000 (PRE_NMS_LIMIT, per level in this family), box score threshold 0.05,
    NMS 0.5, 100 detections. ARCHITECTURE "torchvision_v2" selects maskrcnn_resnet50_fpn_v2.
    RPN_ANCHOR_RATIOS are width / height as everywhere, in torchvision's anchor order (its
    aspect_ratios (0.5, 1.0, 2.0) are height / width)."""

    architectures = ("torchvision_v1", "torchvision_v2")
    fast_mode = {"COMPUTE_DTYPE": "auto"}  # torchvision's family has its own resize

    NAME = "torchvision_coco"
    ARCHITECTURE = "torchvision_v1"
    BACKBONE = "resnet50"
    NUM_CLASSES = 91
    IMAGES_PER_GPU = 1
    IMAGE_RESIZE_MODE = "torchvision"
    IMAGE_MIN_DIM = 800
    IMAGE_MAX_DIM = 1333
    MEAN_PIXEL = np.array([0.485, 0.456, 0.406]) * 255.0
    PIXEL_STD = np.array([0.229, 0.224, 0.225]) * 255.0
    RPN_ANCHOR_RATIOS = [2.0, 1.0, 0.5]
    RPN_BBOX_STD_DEV = np.array([1.0, 1.0, 1.0, 1.0])
    BBOX_STD_DEV = np.array([0.1, 0.1, 0.2, 0.2])  # BoxCoder weights (10, 10, 5, 5)
    PRE_NMS_LIMIT = 1000
    POST_NMS_ROIS_INFERENCE = 1000
    RPN_NMS_THRESHOLD = 0.7
    DETECTION_MIN_CONFIDENCE = 0.05
    DETECTION_NMS_THRESHOLD = 0.5
    DETECTION_MAX_INSTANCES = 100
    # training (RoIHeads' sampler): 512 ROIs an image, a quarter of them foreground at most
    TRAIN_ROIS_PER_IMAGE = 512
    ROI_POSITIVE_RATIO = 0.25

    def validate_family(self) -> None:
        """torchvision's own rules: its resize, ResNet-50, RGB, its normalization; no folded
        BatchNorm, no low-precision heads, no other resize library."""
        fail = self._fail
        if self.IMAGE_RESIZE_MODE != TorchvisionConfig.IMAGE_RESIZE_MODE:
            fail("IMAGE_RESIZE_MODE", "the torchvision architectures resize with "
                 f"{TorchvisionConfig.IMAGE_RESIZE_MODE!r}")
        if self.BACKBONE != "resnet50":
            fail("BACKBONE", "the torchvision architectures are ResNet-50 ('resnet50')")
        if self.IMAGE_CHANNEL_COUNT != 3:
            fail("IMAGE_CHANNEL_COUNT", "the torchvision architectures take RGB images (3)")
        if self.PIXEL_STD.shape != (3,) or not (self.PIXEL_STD > 0).all():
            fail("PIXEL_STD", "needs one positive value per channel (3)")
        if self.FOLD_BATCH_NORM:
            fail("FOLD_BATCH_NORM", "is built for the matterport architecture only")
        if self.LOW_PRECISION_HEADS:
            fail("LOW_PRECISION_HEADS", "the torchvision architectures run their heads in float32")
        if self.RESIZE_LIBRARY != "skimage":
            fail("RESIZE_LIBRARY", "the torchvision architectures resize as torchvision does")


def _unknown_message(name: str, valid: list[str]) -> str:
    if name in RETIRED_FIELDS:
        return f"Config field {name!r} is not used by mrcnn_tf: {RETIRED_FIELDS[name]}"
    close = difflib.get_close_matches(name.upper(), valid, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else "see Config.field_names()"
    return f"unknown Config field {name!r}: {hint}"


def _same(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
    except Exception:
        return a is b
