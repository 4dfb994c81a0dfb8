"""The model options every model command shares (arguments.add_model_arguments) and how
model_setup turns them into class names and a model."""
from __future__ import annotations

import argparse

import pytest

from mrcnn_tf.cli import model_setup
from mrcnn_tf.cli.main import build_parser, main
from mrcnn_tf.cli.model_setup import SetupError
from tests.weights.test_info import write_layout

# the smallest valid command line of each command that builds a model
COMMAND_LINES = {
    "detect": ["detect", "x.jpg", "--out", "o"],
    "video": ["video", "in.mp4", "out.mp4"],
    "export": ["export", "--out", "o"],
    "evaluate": ["evaluate", "--weights", "coco", "--annotations", "a.json", "--images", "i"],
}


@pytest.mark.parametrize("command", COMMAND_LINES)
def test_model_options_are_the_same_in_every_command(command):
    argv = COMMAND_LINES[command]
    args = build_parser(argv).parse_args(argv)
    assert (args.weights, args.image_max_dim, args.image_min_dim) == ("coco", 1024, 800)
    assert getattr(args, "class_names", None) is None
    args = build_parser(argv).parse_args(argv + ["--weights", "w.h5", "--image-max-dim", "512",
                                                 "--image-min-dim", "256"])
    assert (args.weights, args.image_max_dim, args.image_min_dim) == ("w.h5", 512, 256)


@pytest.mark.parametrize("option", ["--image-max-dim", "--image-min-dim"])
@pytest.mark.parametrize("command", COMMAND_LINES)
def test_bad_image_side_is_named(command, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(COMMAND_LINES[command] + [option, "1000"])
    assert exit_info.value.code == 2
    assert f"{option}: 1000 is not a multiple of 64" in capsys.readouterr().err


def test_evaluate_needs_weights(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--annotations", "a.json", "--images", "i"])
    assert "--weights" in capsys.readouterr().err


def _args(**values):
    defaults = dict(weights="coco", class_names=None, image_max_dim=1024, image_min_dim=800)
    return argparse.Namespace(**{**defaults, **values})


def test_coco_classes_are_checked_without_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MRCNN_TF_COCO_URL", "http://127.0.0.1:9/unreachable.h5")
    classes = model_setup.choose_classes(_args(classes="Person,traffic_light"),
                                         command="video", quiet=True)
    assert classes.num_classes == 81 and classes.names[classes.keep[1]] == "traffic light"
    assert classes.names[classes.keep[0]] == "person"
    with pytest.raises(SetupError, match="--classes: .*did you mean 'person'"):
        model_setup.choose_classes(_args(classes="persn"), command="video", quiet=True)
    assert not (tmp_path / "cache").exists()


def test_other_class_counts_get_numbered_names_and_a_note(tmp_path, capsys):
    weights = write_layout(tmp_path / "five.h5", res4_blocks=6, num_classes=5)
    classes = model_setup.choose_classes(_args(weights=str(weights)), command="detect",
                                         quiet=False)
    assert classes.names == ["BG", "class_1", "class_2", "class_3", "class_4"]
    assert classes.keep is None
    assert capsys.readouterr().err.startswith("mrcnn-tf detect: note: the weights have 5 classes")
    model_setup.choose_classes(_args(weights=str(weights)), command="detect", quiet=True)
    assert capsys.readouterr().err == ""
    names = tmp_path / "names.txt"
    names.write_text("a\nb\nc\n")
    with pytest.raises(SetupError, match="has 3 names but the weights have NUM_CLASSES=5"):
        model_setup.choose_classes(_args(weights=str(weights), class_names=str(names)),
                                   command="detect", quiet=True)


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(SetupError, match=r"--weights '.*none\.h5': no such file"):
        model_setup.choose_classes(_args(weights=str(tmp_path / "none.h5")), command="export",
                                   quiet=True)


def test_load_from_args_passes_the_options_as_config_overrides(r50_weights, monkeypatch,
                                                               capsys):
    requested = []
    monkeypatch.setattr(model_setup, "load_model",
                        lambda path, overrides: requested.append((path, overrides)) or "model")
    args = _args(weights=str(r50_weights), image_max_dim=512, image_min_dim=1024, min_score=0.5)
    model = model_setup.load_from_args(args, command="export", quiet=False, num_classes=81,
                                       IMAGE_RESIZE_MODE="square")
    assert model == "model"
    assert requested == [(r50_weights, {"IMAGE_MAX_DIM": 512, "IMAGE_MIN_DIM": 512,
                                        "DETECTION_MIN_CONFIDENCE": 0.5,
                                        "IMAGE_RESIZE_MODE": "square"})]
    assert capsys.readouterr().err.strip() == (f"mrcnn-tf export: weights {r50_weights} "
                                               "(resnet50, 81 classes)")
    with pytest.raises(SetupError, match="has NUM_CLASSES=81, expected 5"):
        model_setup.load_from_args(args, command="export", quiet=True, num_classes=5)
    assert len(requested) == 1


def test_torchvision_class_names_for_91_classes():
    from mrcnn_tf.class_names import TORCHVISION_COCO_CLASS_NAMES
    from mrcnn_tf.cli.model_setup import class_names_for

    names, note = class_names_for(91, family="torchvision")
    assert names == list(TORCHVISION_COCO_CLASS_NAMES) and note is None
    assert names[1] == "person" and names[12] == "N/A" and names[90] == "toothbrush"


def test_torchvision_weights_keep_torchvision_sizes_unless_asked():
    import argparse

    from mrcnn_tf.cli.model_setup import config_overrides

    defaults = argparse.Namespace(image_max_dim=1024, image_min_dim=800, min_score=None)
    assert config_overrides(defaults, "torchvision") == {}
    assert config_overrides(defaults)["IMAGE_MAX_DIM"] == 1024
    asked = argparse.Namespace(image_max_dim=640, image_min_dim=512, min_score=0.5)
    assert config_overrides(asked, "torchvision") == {
        "IMAGE_MAX_DIM": 640, "IMAGE_MIN_DIM": 512, "DETECTION_MIN_CONFIDENCE": 0.5}


@pytest.mark.parametrize("command", COMMAND_LINES)
def test_every_model_command_takes_fast(command):
    argv = COMMAND_LINES[command]
    assert build_parser(argv).parse_args(argv).fast is False
    assert build_parser(argv + ["--fast"]).parse_args(argv + ["--fast"]).fast is True


def test_fast_builds_the_fast_model_and_it_detects(r50_weights):
    """--fast on matterport weights: the fields of Config.fast_mode in a real model (bfloat16 where
    this CPU has it natively, heads included; fit64; OpenCV resize; BatchNorm folded), whose
    results keep the input's size. torchvision weights get the precision only."""
    import numpy as np

    from mrcnn_tf.modeling.precision import choose_compute_dtype, cpu_flags

    args = _args(weights=str(r50_weights), image_max_dim=256, image_min_dim=128, min_score=0.0,
                 fast=True)
    model = model_setup.load_from_args(args, command="detect", quiet=True)
    config = model.config
    assert (config.COMPUTE_DTYPE, config.IMAGE_RESIZE_MODE, config.RESIZE_LIBRARY,
            config.LOW_PRECISION_HEADS, config.FOLD_BATCH_NORM) == ("auto", "fit64", "opencv",
                                                                     True, True)
    assert model.keras_model.get_layer("bn_conv1").fold_into == "conv1"
    expected = choose_compute_dtype(cpu_flags(), has_gpu=False)[0]
    assert model.compute_dtype == expected
    assert model.keras_model.get_layer("mrcnn_mask_conv1").compute_dtype == expected
    image = np.random.default_rng(0).integers(0, 255, (90, 200, 3), dtype=np.uint8)
    result = model.detect([image])[0]
    assert result["masks"].shape[:2] == (90, 200)
    assert (result["rois"][:, 2:] <= [90, 200]).all()
    tv = model_setup.config_overrides(_args(image_max_dim=1024, image_min_dim=800,
                                            min_score=None, fast=True), "torchvision")
    assert tv == {"COMPUTE_DTYPE": "auto"}
