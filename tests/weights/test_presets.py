"""Presets and class names that travel with a model: mrcnn_tf.presets(), MaskRCNN.from_preset
(fetched from a local HTTP server on 127.0.0.1), names written by save_weights and read back
by from_preset, load_weights, the CLI's class choice and Beam's job."""
from __future__ import annotations

import argparse
import dataclasses

import pytest

import mrcnn_tf
from mrcnn_tf.class_names import COCO_CLASS_NAMES, TORCHVISION_COCO_CLASS_NAMES
from mrcnn_tf.weights import published
from tests.weights.local_server import md5

SHAPES_NAMES = ("BG", "square", "circle", "triangle")
SMALL = dict(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128)


def test_presets_list_family_backbone_classes_and_ap():
    listed = {p.name: p for p in mrcnn_tf.presets()}
    assert set(listed) == {"coco", "torchvision-v1", "torchvision-v2"}
    assert listed["coco"].class_names == COCO_CLASS_NAMES
    assert listed["torchvision-v2"].class_names == TORCHVISION_COCO_CLASS_NAMES
    for preset in listed.values():
        assert len(preset.class_names) == preset.num_classes
        assert preset.box_ap is not None and str(preset.box_ap) in preset.describe()
    assert (listed["torchvision-v2"].box_ap, listed["torchvision-v2"].mask_ap) == (47.4, 41.8)


def test_from_preset_fetches_builds_and_names(server, home, monkeypatch, r50_weights):
    """"coco" resolved through the cache (a download from 127.0.0.1 standing in for the
    release; its size and digest are the served file's), built from the file, COCO names."""
    body = r50_weights.read_bytes()
    spec = dataclasses.replace(published.COCO, size=len(body),
                               digest=published.Digest.parse(md5(body)))
    monkeypatch.setitem(published.PUBLISHED, "coco", spec)
    monkeypatch.setenv(spec.url_env, server.serve("/presets/mask_rcnn_coco.h5", body))
    model = mrcnn_tf.MaskRCNN.from_preset("coco", IMAGE_MAX_DIM=128, IMAGE_MIN_DIM=128)
    assert (home / spec.filename).stat().st_size == len(body)
    assert model.config.BACKBONE == "resnet50" and model.config.IMAGE_MAX_DIM == 128
    assert model.class_names == COCO_CLASS_NAMES
    again = mrcnn_tf.MaskRCNN.from_preset("COCO", IMAGE_MAX_DIM=128, IMAGE_MIN_DIM=128)
    assert again.class_names == COCO_CLASS_NAMES
    assert server.requests("/presets/mask_rcnn_coco.h5") == 1  # the second came from the cache


def test_unknown_preset_is_named(home):
    with pytest.raises(FileNotFoundError, match="'cocoa'.*'coco'"):
        mrcnn_tf.MaskRCNN.from_preset("cocoa")


@pytest.fixture(scope="module")
def named_weights(tmp_path_factory):
    """A 4-class model's weights saved with the shapes' names."""
    model = mrcnn_tf.MaskRCNN(config=mrcnn_tf.Config(NUM_CLASSES=4, **SMALL),
                              class_names=SHAPES_NAMES)
    path = tmp_path_factory.mktemp("named") / "shapes.h5"
    model.save_weights(path)
    return path


def test_saved_names_come_back_with_the_model(named_weights):
    assert mrcnn_tf.MaskRCNN.from_preset(named_weights, **SMALL).class_names == SHAPES_NAMES
    fresh = mrcnn_tf.MaskRCNN(config=mrcnn_tf.Config(NUM_CLASSES=4, **SMALL))
    assert fresh.class_names == ("BG", "class_1", "class_2", "class_3")
    fresh.load_weights(named_weights)
    assert fresh.class_names == SHAPES_NAMES


def test_names_must_fit_the_class_count():
    model = mrcnn_tf.MaskRCNN(config=mrcnn_tf.Config(NUM_CLASSES=4, **SMALL))
    with pytest.raises(ValueError, match="3 names for NUM_CLASSES=4"):
        model.class_names = SHAPES_NAMES[:3]
    assert mrcnn_tf.MaskRCNN(config=mrcnn_tf.CocoConfig(**SMALL)).class_names == COCO_CLASS_NAMES


def test_cli_takes_the_names_the_weights_carry(named_weights, capsys):
    from mrcnn_tf.cli.model_setup import choose_classes

    args = argparse.Namespace(weights=str(named_weights), class_names=None, classes="circle")
    chosen = choose_classes(args, command="detect", quiet=False)
    assert chosen.names == list(SHAPES_NAMES) and chosen.keep == [2]
    assert "class_1" not in capsys.readouterr().err
    published_args = argparse.Namespace(weights="torchvision-v1", class_names=None)
    assert choose_classes(published_args, command="detect",
                          quiet=True).names == list(TORCHVISION_COCO_CLASS_NAMES)


def test_class_names_of_weights(named_weights, r50_weights):
    from mrcnn_tf.weights.info import class_names_of

    assert class_names_of(named_weights) == SHAPES_NAMES
    assert class_names_of(r50_weights) == COCO_CLASS_NAMES  # matterport's layout, 81 classes
    assert class_names_of("torchvision-v2") == TORCHVISION_COCO_CLASS_NAMES
