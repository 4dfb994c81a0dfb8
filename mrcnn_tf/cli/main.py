"""``mrcnn-tf``: the command line entry point (console script ``mrcnn_tf.cli.main:main``).

Commands: ``detect``, ``weights fetch|info``, and ``export`` / ``video`` when the modules
``mrcnn_tf.export.cli`` / ``mrcnn_tf.video.cli`` exist (each provides
``add_arguments(parser)`` and ``run(args) -> int``). Optional commands are imported only
when chosen, and nothing imports TensorFlow before a command runs.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys

from mrcnn_tf import __version__
from mrcnn_tf.cli import detect, weights

# name -> (module providing add_arguments/run, one-line help)
OPTIONAL_COMMANDS = {
    "export": ("mrcnn_tf.export.cli", "export a model for serving (see 'mrcnn-tf export --help')"),
    "video": ("mrcnn_tf.video.cli", "detect objects in videos (see 'mrcnn-tf video --help')"),
}


def _module_exists(name: str) -> bool:
    """True when module name's file exists, without importing its own package."""
    package, _, leaf = name.rpartition(".")
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(os.path.isfile(os.path.join(d, leaf + ".py"))
               or os.path.isfile(os.path.join(d, leaf, "__init__.py"))
               for d in spec.submodule_search_locations)


def _chosen_command(argv) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _unavailable(name, err):
    def run(args):
        print(f"mrcnn-tf: error: the {name} command is unavailable ({err})", file=sys.stderr)
        return 2
    return run


def build_parser(argv=()) -> argparse.ArgumentParser:
    """The full parser; optional commands get their arguments only when argv chooses them."""
    parser = argparse.ArgumentParser(
        prog="mrcnn-tf", description="Mask R-CNN instance segmentation (Keras 3) with "
                                     "matterport's weights.",
        epilog="Run 'mrcnn-tf COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"mrcnn-tf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    detect.add_arguments(sub.add_parser(
        "detect", help="detect objects in images; write annotated pictures, cut-outs, JSON"))
    weights.add_arguments(sub.add_parser(
        "weights", help="download published weights (fetch) or describe a file (info)"))
    chosen = _chosen_command(argv)
    for name, (module_name, help_text) in OPTIONAL_COMMANDS.items():
        if not _module_exists(module_name):
            continue
        command = sub.add_parser(name, help=help_text)
        if name != chosen:
            continue
        try:
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.set_defaults(run=module.run)
        except Exception as err:  # a broken optional command must not break the others
            command.set_defaults(run=_unavailable(name, f"{type(err).__name__}: {err}"))
    return parser


def main(argv=None) -> int:
    """Run the mrcnn-tf command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("mrcnn-tf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped early (head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
