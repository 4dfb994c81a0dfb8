"""Config: matterport's defaults, both override styles, derived fields and validation."""
from __future__ import annotations

import numpy as np
import pytest

from mrcnn_tf import CocoConfig, Config

# matterport mrcnn/config.py defaults (NUM_CLASSES aside, which is 1 there and must be set)
MATTERPORT_DEFAULTS = {
    "NAME": None, "GPU_COUNT": 1, "IMAGES_PER_GPU": 2, "STEPS_PER_EPOCH": 1000,
    "VALIDATION_STEPS": 50, "BACKBONE": "resnet101",
    "BACKBONE_STRIDES": [4, 8, 16, 32, 64], "FPN_CLASSIF_FC_LAYERS_SIZE": 1024,
    "TOP_DOWN_PYRAMID_SIZE": 256, "RPN_ANCHOR_SCALES": (32, 64, 128, 256, 512),
    "RPN_ANCHOR_RATIOS": [0.5, 1, 2], "RPN_ANCHOR_STRIDE": 1, "RPN_NMS_THRESHOLD": 0.7,
    "RPN_TRAIN_ANCHORS_PER_IMAGE": 256, "PRE_NMS_LIMIT": 6000, "POST_NMS_ROIS_TRAINING": 2000,
    "POST_NMS_ROIS_INFERENCE": 1000, "USE_MINI_MASK": True, "MINI_MASK_SHAPE": (56, 56),
    "IMAGE_RESIZE_MODE": "square", "IMAGE_MIN_DIM": 800, "IMAGE_MAX_DIM": 1024,
    "IMAGE_MIN_SCALE": 0, "IMAGE_CHANNEL_COUNT": 3, "MEAN_PIXEL": [123.7, 116.8, 103.9],
    "TRAIN_ROIS_PER_IMAGE": 200, "ROI_POSITIVE_RATIO": 0.33, "POOL_SIZE": 7,
    "MASK_POOL_SIZE": 14, "MASK_SHAPE": [28, 28], "MAX_GT_INSTANCES": 100,
    "RPN_BBOX_STD_DEV": [0.1, 0.1, 0.2, 0.2], "BBOX_STD_DEV": [0.1, 0.1, 0.2, 0.2],
    "DETECTION_MAX_INSTANCES": 100, "DETECTION_MIN_CONFIDENCE": 0.7,
    "DETECTION_NMS_THRESHOLD": 0.3, "LEARNING_RATE": 0.001, "LEARNING_MOMENTUM": 0.9,
    "WEIGHT_DECAY": 0.0001, "USE_RPN_ROIS": True, "TRAIN_BN": False,
    "GRADIENT_CLIP_NORM": 5.0,
    "LOSS_WEIGHTS": {"rpn_class_loss": 1.0, "rpn_bbox_loss": 1.0, "mrcnn_class_loss": 1.0,
                     "mrcnn_bbox_loss": 1.0, "mrcnn_mask_loss": 1.0},
}


@pytest.mark.parametrize("name", sorted(MATTERPORT_DEFAULTS))
def test_defaults_equal_matterport(name):
    config = Config(NUM_CLASSES=2)
    value = getattr(config, name)
    expected = MATTERPORT_DEFAULTS[name]
    if isinstance(expected, list) and name in ("MEAN_PIXEL", "RPN_BBOX_STD_DEV", "BBOX_STD_DEV"):
        assert isinstance(value, np.ndarray)
        np.testing.assert_allclose(value, expected)
    else:
        assert value == expected
    assert Config.NUM_CLASSES == 1


def test_default_derived_fields():
    config = CocoConfig()
    assert config.NAME == "coco" and config.NUM_CLASSES == 81
    assert config.BATCH_SIZE == 2
    np.testing.assert_array_equal(config.IMAGE_SHAPE, [1024, 1024, 3])
    assert config.IMAGE_META_SIZE == 12 + 81 == 93


def test_subclass_style_and_derived_fields():
    class Balloon(Config):
        NAME = "balloon"
        NUM_CLASSES = 2
        GPU_COUNT = 2
        IMAGES_PER_GPU = 3
        IMAGE_MIN_DIM = 512
        IMAGE_MAX_DIM = 640
        MEAN_PIXEL = [1, 2, 3]

    config = Balloon()
    assert config.NAME == "balloon" and config.BATCH_SIZE == 6
    assert config.IMAGE_META_SIZE == 14
    np.testing.assert_array_equal(config.IMAGE_SHAPE, [640, 640, 3])
    assert isinstance(config.MEAN_PIXEL, np.ndarray) and config.MEAN_PIXEL.tolist() == [1, 2, 3]
    assert Config.MEAN_PIXEL.tolist() == [123.7, 116.8, 103.9]   # base class untouched


def test_keyword_style_and_derived_fields():
    config = Config(NUM_CLASSES=5, IMAGES_PER_GPU=4, GPU_COUNT=1, IMAGE_MIN_DIM=256,
                    IMAGE_MAX_DIM=256, BACKBONE="resnet50")
    assert config.BACKBONE == "resnet50" and config.BATCH_SIZE == 4
    assert config.IMAGE_META_SIZE == 17
    np.testing.assert_array_equal(config.IMAGE_SHAPE, [256, 256, 3])
    crop = Config(NUM_CLASSES=2, IMAGE_RESIZE_MODE="crop", IMAGE_MIN_DIM=512)
    np.testing.assert_array_equal(crop.IMAGE_SHAPE, [512, 512, 3])
    assert CocoConfig(NUM_CLASSES=7).IMAGE_META_SIZE == 19
    # overrides live on the instance only
    assert Config(NUM_CLASSES=2).IMAGES_PER_GPU == 2


def test_misspelt_keyword_names_closest_field():
    with pytest.raises(ValueError, match="DETECTION_MIN_CONFIDENCE"):
        Config(NUM_CLASSES=2, DETECTION_MIN_CONFIDANCE=0.5)
    with pytest.raises(ValueError, match="NUM_CLASSES"):
        Config(NUM_CLASS=3)
    with pytest.raises(ValueError, match="IMAGES_PER_GPU"):
        Config(NUM_CLASSES=2, images_per_gpu=1)


def test_misspelt_subclass_attribute_names_closest_field():
    class Typo(Config):
        NUM_CLASSES = 2
        IMAGE_MAX_DIMS = 512

    with pytest.raises(ValueError, match="IMAGE_MAX_DIM") as err:
        Typo()
    assert "IMAGE_MAX_DIMS" in str(err.value)


def test_derived_fields_cannot_be_set_in_either_style():
    with pytest.raises(ValueError, match="BATCH_SIZE.*derived"):
        Config(NUM_CLASSES=2, BATCH_SIZE=4)

    class Derived(Config):
        NUM_CLASSES = 2
        IMAGE_META_SIZE = 14

    # a known (derived) field, so the message must say so rather than call it unknown
    with pytest.raises(ValueError, match="IMAGE_META_SIZE.*derived"):
        Derived()


@pytest.mark.parametrize("overrides, field", [
    (dict(NUM_CLASSES=2, IMAGE_MIN_DIM=600, IMAGE_MAX_DIM=1000), "IMAGE_MAX_DIM"),
    (dict(NUM_CLASSES=1), "NUM_CLASSES"),
    (dict(NUM_CLASSES=0), "NUM_CLASSES"),
    (dict(NUM_CLASSES=2, BACKBONE="resnet34"), "BACKBONE"),
    (dict(NUM_CLASSES=2, IMAGE_RESIZE_MODE="stretch"), "IMAGE_RESIZE_MODE"),
    (dict(NUM_CLASSES=2, DETECTION_MIN_CONFIDENCE=1.5), "DETECTION_MIN_CONFIDENCE"),
    (dict(NUM_CLASSES=2, IMAGES_PER_GPU=0), "IMAGES_PER_GPU"),
    (dict(NUM_CLASSES=2, MEAN_PIXEL=[1, 2]), "MEAN_PIXEL"),
    (dict(NUM_CLASSES=2, FOLD_BATCH_NORM="yes"), "FOLD_BATCH_NORM"),
])
def test_impossible_values_raise_naming_the_field(overrides, field):
    with pytest.raises(ValueError, match=field):
        Config(**overrides)


def test_display_prints_fields(capsys):
    Config(NUM_CLASSES=3, NAME="shapes").display()
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines() if line.strip()
             and line.split()[0].isupper() and len(line.split()) > 1}
    assert lines["NUM_CLASSES"] == "3" and lines["NAME"] == "shapes"
    assert lines["BATCH_SIZE"] == "2" and lines["IMAGE_META_SIZE"] == "15"
    assert "DETECTION_MIN_CONFIDENCE" in lines


def test_torchvision_config_defaults_and_checks():
    import mrcnn_tf

    config = mrcnn_tf.TorchvisionConfig(ARCHITECTURE="torchvision_v2")
    assert (config.NUM_CLASSES, config.IMAGE_MIN_DIM, config.IMAGE_MAX_DIM) == (91, 800, 1333)
    assert config.DETECTION_MIN_CONFIDENCE == 0.05 and config.DETECTION_NMS_THRESHOLD == 0.5
    np.testing.assert_allclose(config.PIXEL_STD, [58.395, 57.12, 57.375])
    with pytest.raises(ValueError, match="ARCHITECTURE.*must be one of"):
        mrcnn_tf.TorchvisionConfig(ARCHITECTURE="torchvision_v3")
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE"):
        mrcnn_tf.TorchvisionConfig(IMAGE_RESIZE_MODE="square", IMAGE_MAX_DIM=1024)
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE"):
        mrcnn_tf.Config(NUM_CLASSES=2, IMAGE_RESIZE_MODE="torchvision")
    with pytest.raises(ValueError, match="BACKBONE"):
        mrcnn_tf.TorchvisionConfig(BACKBONE="resnet101")
    with pytest.raises(ValueError, match="PIXEL_STD"):
        mrcnn_tf.TorchvisionConfig(PIXEL_STD=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="FOLD_BATCH_NORM.*matterport architecture only"):
        mrcnn_tf.TorchvisionConfig(FOLD_BATCH_NORM=True)


def test_derived_fields_follow_changes_and_refuse_assignment():
    config = Config(NUM_CLASSES=4, IMAGES_PER_GPU=2)
    config.IMAGES_PER_GPU, config.NUM_CLASSES, config.IMAGE_MAX_DIM = 3, 7, 512
    assert config.BATCH_SIZE == 3 and config.IMAGE_META_SIZE == 12 + 7
    assert list(config.IMAGE_SHAPE) == [512, 512, 3]
    with pytest.raises(ValueError, match="BATCH_SIZE is derived from IMAGES_PER_GPU x GPU_COUNT"):
        config.BATCH_SIZE = 8
    assert "BATCH_SIZE" in config.to_dict()


def test_matterports_dead_field_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match="COMPUTE_BACKBONE_SHAPE.*BACKBONE_STRIDES"):
        Config(NUM_CLASSES=2, COMPUTE_BACKBONE_SHAPE=None)


def test_each_family_config_class_takes_only_its_architectures():
    import mrcnn_tf

    with pytest.raises(ValueError, match="ARCHITECTURE='torchvision_v1'.*Config takes matterport; "
                                         "another family's architecture needs"):
        Config(NUM_CLASSES=2, ARCHITECTURE="torchvision_v1")
    with pytest.raises(ValueError, match="TorchvisionConfig takes torchvision_v1, torchvision_v2"):
        mrcnn_tf.TorchvisionConfig(ARCHITECTURE="matterport")


def test_a_family_config_class_checks_its_own_fields():
    """A third family's Config class: its architecture, its own check, the shared checks."""
    class ToyConfig(Config):
        architectures = ("toy",)
        ARCHITECTURE = "toy"
        NUM_CLASSES = 3
        IMAGE_RESIZE_MODE = "toy"

        def validate_family(self):
            if self.IMAGE_RESIZE_MODE != "toy":
                self._fail("IMAGE_RESIZE_MODE", "the toy family resizes its own way")

    assert ToyConfig().IMAGE_RESIZE_MODE == "toy"  # matterport's resize rules do not apply
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE='square': the toy family"):
        ToyConfig(IMAGE_RESIZE_MODE="square")
    with pytest.raises(ValueError, match="NUM_CLASSES=1: must be at least 2"):
        ToyConfig(NUM_CLASSES=1)


def test_anchor_ratios_are_width_over_height_in_every_family():
    import mrcnn_tf
    from mrcnn_tf.ops.anchors import level_anchors
    from mrcnn_tf.ops.torchvision_anchors import cell_anchors

    # torchvision's aspect_ratios (0.5, 1, 2) are height / width: (2, 1, 0.5) as width / height
    assert list(mrcnn_tf.TorchvisionConfig().RPN_ANCHOR_RATIOS) == [2.0, 1.0, 0.5]
    (y1, x1, y2, x2), = cell_anchors(64, (2.0,))
    (my1, mx1, my2, mx2), = level_anchors(64, (2.0,), (1, 1), 4)
    assert x2 - x1 > y2 - y1 and mx2 - mx1 > my2 - my1  # both wide
