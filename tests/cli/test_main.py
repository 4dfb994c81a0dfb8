"""mrcnn-tf main: help documents every option and stays fast; commands load lazily."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from mrcnn_tf.cli import main as main_module
from mrcnn_tf.cli.main import main
from tests.helpers import REPO

DETECT_OPTIONS = ("--weights", "--out", "--classes", "--min-score", "--class-names", "--extract",
                  "--splash", "--no-draw", "--image-max-dim", "--image-min-dim", "--recursive",
                  "--quiet")
DETECT_OUTPUTS = ("NAME.png", "NAME.splash.png", "NAME.json", "NAME_objects/NNN_CLASS.png",
                  "detections.json", "image_ids.json", "exit status")


def help_text(capsys, *argv):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_help_lists_the_commands(capsys):
    text = help_text(capsys)
    assert "detect" in text and "weights" in text


def test_detect_help_documents_every_option_and_output(capsys):
    text = help_text(capsys, "detect")
    for item in DETECT_OPTIONS + DETECT_OUTPUTS:
        assert item in text, item
    assert "downloads" in text and "MRCNN_TF_HOME" in text


def test_weights_help(capsys):
    assert "fetch" in help_text(capsys, "weights") and "info" in help_text(capsys, "weights")
    assert "257,557,808" in help_text(capsys, "weights", "fetch")
    assert "res4" in help_text(capsys, "weights", "info")


def test_help_does_not_import_tensorflow():
    code = textwrap.dedent("""
        import contextlib, io, sys
        from mrcnn_tf.cli.main import main
        with contextlib.redirect_stdout(io.StringIO()):
            for argv in (["--help"], ["detect", "--help"], ["weights", "info", "--help"]):
                try:
                    main(argv)
                except SystemExit:
                    pass
        print(sorted(m for m in ("tensorflow", "keras", "cv2", "matplotlib") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["detect", "x.jpg", "--out", "o", "--image-max-dim", "1000"])
    assert exit_info.value.code == 2
    assert "not a multiple of 64" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    for name in main_module.COMMANDS:
        assert "usage: mrcnn-tf " + name in help_text(capsys, name)
