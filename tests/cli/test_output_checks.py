"""Every command checks its output folder before loading a model, and detect reads an output
folder that is (or holds) its input folder without skipping the inputs."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mrcnn_tf.cli import model_setup
from mrcnn_tf.cli.main import main
from tests.cli.test_detect import FAST, run_cli
from tests.helpers import REPO


@pytest.fixture
def no_model(monkeypatch):
    """Fails the test if a command gets as far as loading a model."""
    monkeypatch.setattr(model_setup, "load_model", lambda *a, **k: pytest.fail("model loaded"))


@pytest.mark.parametrize("under", [False, True])
def test_commands_stop_on_an_unwritable_output_before_the_model(unwritable, tmp_path, under,
                                                                r50_weights, no_model, capsys):
    out = unwritable / "new" if under else unwritable
    image = tmp_path / "coffee.jpg"
    shutil.copy(REPO / "samples" / "images" / "coffee.jpg", image)
    weights = ["--weights", str(r50_weights)]
    commands = {
        "detect": ["detect", str(image), "--out", str(out), *weights],
        "video": ["video", "0", str(out / "v.mp4"), *weights, "-q"],
        "export": ["export", "--out", str(out / "exported"), *weights],
        "evaluate": ["evaluate", "--annotations", str(tmp_path / "none.json"), "--images",
                     str(tmp_path), "--json", str(out / "ap.json"), *weights],
    }
    for name, argv in commands.items():
        status = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2, (name, err)
        assert len(err) == 1 and "cannot write" in err[0] and "Traceback" not in err[0], (name, err)


def test_out_equal_to_the_input_folder_processes_its_images_every_time(r50_weights, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(REPO / "samples" / "images" / "coffee.jpg", photos / "coffee.jpg")
    argv = ["detect", str(photos), "--weights", str(r50_weights), "--out", str(photos),
            "--extract", "--splash", *FAST]
    for _ in range(2):  # the second run finds the first run's outputs beside the input
        code, err = run_cli(argv)
        assert code == 0, err
        assert "1 of 1 images processed" in err
        record = json.loads((photos / "coffee.json").read_text())
        assert Path(record["image"]).name == "coffee.jpg" and record["detections"]
    os.chdir(tmp_path)  # `--out .` from the folder that holds the input folder
    try:
        code, err = run_cli(["detect", "photos", "--weights", str(r50_weights), "--out", ".",
                             "--no-draw", *FAST])
    finally:
        os.chdir(REPO)
    assert code == 0 and "1 of 1 images processed" in err, err


def test_an_empty_folder_beside_a_good_image_is_counted_and_fails_the_run(r50_weights, tmp_path):
    (tmp_path / "empty").mkdir()
    shutil.copy(REPO / "samples" / "images" / "coffee.jpg", tmp_path / "coffee.jpg")
    code, err = run_cli(["detect", str(tmp_path / "empty"), str(tmp_path / "coffee.jpg"),
                         "--weights", str(r50_weights), "--out", str(tmp_path / "out"),
                         "--no-draw", *FAST])
    assert code == 1
    assert "empty: folder has no image files" in err
    assert "1 of 1 images processed" in err and "1 of 2 inputs gave no image" in err
