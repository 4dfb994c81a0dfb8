"""mrcnn-tf serve's options, its messages for a missing extra and a busy port, and the
warning when it listens beyond this machine."""
from __future__ import annotations

import importlib.util
import socket

import pytest

from mrcnn_tf.cli import serve as serve_cli
from mrcnn_tf.cli.main import build_parser, main


def parse(*argv):
    argv = ["serve", *argv]
    return build_parser(argv).parse_args(argv)


def test_defaults_listen_on_this_machine_only():
    args = parse()
    assert (args.host, args.port, args.timeout) == ("127.0.0.1", 8080, 30.0)
    assert args.max_pixels == 40_000_000 and args.max_batch == 1 and args.weights == "coco"


def test_options(monkeypatch):
    monkeypatch.setenv("MRCNN_TF_API_KEY", "from-env")
    args = parse("--max-pixels", "12.5M", "--api-key", "k", "--min-score", "0.3",
                 "--image-max-dim", "512")
    assert args.max_pixels == 12_500_000 and args.api_key == "k" and args.min_score == 0.3
    assert parse().api_key == "from-env"
    assert parse("--max-pixels", "1000").max_pixels == 1000


@pytest.mark.parametrize("argv, words", [
    (["--port", "70000"], "not a port"), (["--max-pixels", "lots"], "not a pixel count"),
    (["--timeout", "0"], "not > 0"), (["--image-max-dim", "100"], "multiple of 64")])
def test_bad_options_are_named(argv, words, capsys):
    with pytest.raises(SystemExit):
        parse(*argv)
    assert words in capsys.readouterr().err


def test_a_missing_extra_names_the_extra(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gradio" else real(name, *a))
    assert main(["serve", "--weights", "coco"]) == 2
    err = capsys.readouterr().err
    assert "gradio" in err and 'pip install "mrcnn_tf[serve]"' in err


def test_a_busy_port_is_reported_before_loading_the_model(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--weights", "no-such-file.h5", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_missing_weights_are_reported(capsys):
    assert main(["serve", "--weights", "no-such-file.h5", "--port", str(free_port())]) == 2
    assert "no-such-file.h5" in capsys.readouterr().err


def test_warning_when_listening_beyond_this_machine_without_a_key():
    warning = serve_cli.exposure_warning("0.0.0.0", None)
    assert warning.count("\n") == 0 and "no authentication" in warning and "0.0.0.0" in warning
    assert serve_cli.exposure_warning("0.0.0.0", "key") is None
    assert serve_cli.exposure_warning("127.0.0.1", None) is None


def test_help_lists_the_routes(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "/v1/detect" in out and "/readyz" in out and "--api-key" in out
