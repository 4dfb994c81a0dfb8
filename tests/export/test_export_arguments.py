"""Bad export arguments get one clear error before any work is done (API and CLI)."""
from __future__ import annotations

import types

import pytest

import mrcnn_tf
from mrcnn_tf.class_names import default_class_names
from mrcnn_tf.families import family_for
from mrcnn_tf.cli.main import main
from mrcnn_tf.export import export_saved_model


def _model(class_names=None, **overrides):
    """What export_saved_model reads before it builds anything: the config and the names."""
    config = mrcnn_tf.CocoConfig(**overrides)
    names = class_names or default_class_names(config.NUM_CLASSES, family_for(config).name)
    return types.SimpleNamespace(config=config, keras_model=None, class_names=names)


@pytest.mark.parametrize("arguments, message", [
    (dict(mask_format="polygon"), "mask_format: expected one of"),
    (dict(input_kinds=("jpeg",)), "input_kinds: expected a non-empty subset"),
    (dict(input_kinds=()), "input_kinds: expected a non-empty subset"),
    (dict(max_detections=0), r"max_detections: expected an integer in 1\.\.100"),
    (dict(max_detections=101), r"max_detections: expected an integer in 1\.\.100"),
    (dict(version=0), "version: expected a positive integer"),
    (dict(version="1"), "version: expected a positive integer"),
    (dict(class_names=["BG", "cat"]), "class_names: 2 names for NUM_CLASSES=81"),
])
def test_bad_arguments_are_named(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        export_saved_model(_model(), tmp_path / "model", **arguments)
    assert not (tmp_path / "model").exists()


def test_the_models_own_names_are_checked(tmp_path):
    """Without class_names the export takes the model's, and checks them as it would its own."""
    bad = ("BG", "cat", "dog", "a\nb", "fox")
    with pytest.raises(ValueError, match="name 3 .* line break"):
        export_saved_model(_model(bad, NUM_CLASSES=5), tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_only_square_resizing_exports(tmp_path):
    with pytest.raises(ValueError, match="IMAGE_RESIZE_MODE='pad64'"):
        export_saved_model(_model(IMAGE_RESIZE_MODE="pad64", IMAGE_MIN_DIM=768), tmp_path)


def test_an_existing_version_is_kept(tmp_path):
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "saved_model.pb").write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="already exists"):
        export_saved_model(_model(), tmp_path, version=1)
    assert (tmp_path / "1" / "saved_model.pb").read_bytes() == b"keep me"


def test_cli_reports_setup_errors(tmp_path, capsys):
    missing = tmp_path / "missing.h5"
    assert main(["export", "--weights", str(missing), "--out", str(tmp_path / "m")]) == 2
    assert "missing.h5" in capsys.readouterr().err
    status = main(["export", "--weights", str(missing), "--out", str(tmp_path / "m"),
                   "--image-min-dim", "512", "--image-max-dim", "256"])
    assert status == 2
    assert "--image-min-dim 512 exceeds --image-max-dim 256" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", "--out", str(tmp_path / "m"), "--image-max-dim", "300"])
    assert "not a multiple of 64" in capsys.readouterr().err


def test_cli_keeps_an_existing_version(image_export, r50_weights, capsys):
    version_dir = image_export[0]
    status = main(["export", "--weights", str(r50_weights), "--out", str(version_dir.parent),
                   "--version", version_dir.name, "--image-min-dim", "256",
                   "--image-max-dim", "256", "--min-score", "0.3", "--mask-format", "image",
                   "--max-detections", "40"])
    assert status == 1
    assert "already exists" in capsys.readouterr().err
