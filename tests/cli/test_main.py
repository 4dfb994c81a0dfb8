"""mrcnn-tf main: help documents every option, stays fast, optional commands are lazy."""
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


@pytest.fixture
def optional_commands(tmp_path, monkeypatch):
    """Two real optional-command modules on sys.path: one working, one failing on import."""
    package = tmp_path / "extra_commands"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(textwrap.dedent("""
        def add_arguments(parser):
            parser.add_argument("--code", type=int, default=0)
        def run(args):
            return args.code
    """))
    (package / "broken.py").write_text("raise ImportError('needs tf2onnx')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(main_module, "OPTIONAL_COMMANDS", {
        "good": ("extra_commands.good", "a working optional command"),
        "broken": ("extra_commands.broken", "a broken optional command"),
        "absent": ("extra_commands.absent", "not installed")})
    for name in ("extra_commands.good", "extra_commands.broken"):
        sys.modules.pop(name, None)


def test_optional_commands_are_registered_when_present(optional_commands, capsys):
    text = help_text(capsys)
    assert "good" in text and "broken" in text and "absent" not in text
    assert "extra_commands.broken" not in sys.modules, "not chosen: not imported"
    assert main(["good", "--code", "5"]) == 5
    assert main(["broken"]) == 2
    err = capsys.readouterr().err
    assert "the broken command is unavailable (ImportError: needs tf2onnx)" in err
    assert help_text(capsys, "detect")  # the others keep working


def test_module_exists():
    assert main_module._module_exists("mrcnn_tf.cli.detect")
    assert not main_module._module_exists("mrcnn_tf.cli.nothing_here")
    assert not main_module._module_exists("mrcnn_tf.no_such_package.cli")
