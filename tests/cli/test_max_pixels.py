"""--max-pixels: one option, one default (image_decode.DEFAULT_MAX_PIXELS) for every command
that reads images, said in each command's --help."""
from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from mrcnn_tf.cli.arguments import pixel_count
from mrcnn_tf.cli.main import build_parser
from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS

COMMANDS = ("detect", "video", "detect-beam", "serve")


def help_text(command: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser([command, "--help"]).parse_args([command, "--help"])
    return " ".join(out.getvalue().split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_the_option_with_the_one_default(command):
    text = help_text(command)
    assert "--max-pixels N" in text and "(checked before decoding)" in text
    assert f"default {DEFAULT_MAX_PIXELS // 1_000_000}M)" in text
    required = {"detect": ["x", "--out", "y"], "video": ["a.mp4", "b.mp4"],
                "detect-beam": ["--input", "x", "--out", "y"], "serve": []}[command]
    argv = [command, *required]
    assert build_parser(argv).parse_args(argv).max_pixels == DEFAULT_MAX_PIXELS


def test_pixel_counts():
    assert [pixel_count(t) for t in ("1000", "12.5M", "40mp", " 2M ")] == [
        1000, 12_500_000, 40_000_000, 2_000_000]
    for bad in ("lots", "0", "-3M"):
        with pytest.raises(argparse.ArgumentTypeError):
            pixel_count(bad)
