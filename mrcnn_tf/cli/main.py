"""``mrcnn-tf``: the command line entry point (console script ``mrcnn_tf.cli.main:main``).

Each command is a module with ``add_arguments(parser)`` and ``run(args) -> int``; only the
chosen command's module is imported, and none imports TensorFlow before it runs, so
``mrcnn-tf --help`` and ``mrcnn-tf COMMAND --help`` are fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from mrcnn_tf import __version__

# name -> (module providing add_arguments/run, one-line help)
COMMANDS = {
    "detect": ("mrcnn_tf.cli.detect",
               "detect objects in images; write annotated pictures, cut-outs, JSON"),
    "detect-beam": ("mrcnn_tf.cli.detect_beam",
                    "segment many images on Apache Beam (local, Dataflow, Flink, Spark)"),
    "merge-results": ("mrcnn_tf.cli.merge_results",
                      "merge detect-beam's JSON-line shards into one COCO results file"),
    "video": ("mrcnn_tf.cli.video", "detect and track objects in a video file or camera"),
    "export": ("mrcnn_tf.cli.export", "export a SavedModel for TensorFlow Serving"),
    "train": ("mrcnn_tf.cli.train",
              "train on COCO-format annotations (one machine or many, resumable)"),
    "evaluate": ("mrcnn_tf.cli.evaluate", "COCO mAP of a model on an annotated image folder"),
    "serve": ("mrcnn_tf.cli.serve", "a web page and a REST API for a model (needs [serve])"),
    "weights": ("mrcnn_tf.cli.weights",
                "download published weights (fetch) or describe a file (info)"),
}


def _chosen_command(argv) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(argv=()) -> argparse.ArgumentParser:
    """The parser; the command chosen in argv gets its arguments (the others only a name)."""
    parser = argparse.ArgumentParser(
        prog="mrcnn-tf", description="Mask R-CNN instance segmentation (Keras 3) with "
                                     "matterport's weights.",
        epilog="Run 'mrcnn-tf COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"mrcnn-tf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen_command(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(command)
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
