"""``mrcnn-tf weights fetch|info``: download published weights, describe a weights file."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The weights command and its fetch / info subcommands."""
    parser.description = ("Download published weights into the cache, or describe a weights "
                          "file.")
    sub = parser.add_subparsers(dest="weights_command", metavar="SUBCOMMAND", required=True)
    fetch = sub.add_parser(
        "fetch", help="download published weights (coco, torchvision-v1, torchvision-v2) once "
                      "into the cache",
        description="Download published weights once into $MRCNN_TF_HOME (default "
                    "~/.cache/mrcnn_tf) and print the file's path. 'coco' is matterport's "
                    "mask_rcnn_coco.h5 (257,557,808 bytes, ResNet-101, 81 classes); "
                    "'torchvision-v1' / 'torchvision-v2' are torchvision's Mask R-CNN COCO "
                    "state dicts (.pth, ResNet-50, 91 classes). MRCNN_TF_COCO_URL, "
                    "MRCNN_TF_TORCHVISION_V1_URL and MRCNN_TF_TORCHVISION_V2_URL override the "
                    "URLs (mirrors). The download is checked (size, MD5 or SHA-256, format) "
                    "before it is kept; a failed one leaves nothing behind. A cached file is "
                    "verified once and must match too.")
    fetch.add_argument("name", nargs="?", default="coco",
                       help="published weights: coco (default), torchvision-v1, torchvision-v2")
    fetch.add_argument("--force", action="store_true",
                       help="download again even if cached (replaces the cached file once the "
                            "download is verified)")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(run=run_fetch)
    info = sub.add_parser(
        "info", help="describe a weights file: family, backbone, classes, layers, size",
        description="Describe a weights file without loading a model. matterport .h5: "
                    "backbone (from the number of res4 blocks), NUM_CLASSES (from "
                    "mrcnn_class_logits). torchvision state dict (.pth, .npz, .safetensors): "
                    "version v1/v2 (from the box head's keys), NUM_CLASSES (from "
                    "roi_heads.box_predictor.cls_score), backbone. Also layer and tensor "
                    "counts, size.")
    info.add_argument("file", metavar="FILE|NAME",
                      help="weights file, or a published name (coco, torchvision-v1, "
                           "torchvision-v2) for the cached download")
    info.add_argument("--json", action="store_true", help="print the facts as JSON")
    info.set_defaults(run=run_info)


def _error(message):
    print(f"mrcnn-tf weights: error: {message}", file=sys.stderr)


def run_fetch(args) -> int:
    from mrcnn_tf.weights.fetch import DownloadError, fetch

    try:
        path = fetch(args.name, force=args.force, progress=not args.quiet)
    except (DownloadError, ValueError, OSError) as err:
        _error(str(err))
        return 1
    print(path)
    return 0


def run_info(args) -> int:
    from pathlib import Path

    from mrcnn_tf.families import family_for_file
    from mrcnn_tf.weights.fetch import PUBLISHED, cached_path

    path = Path(args.file)
    if not path.exists() and args.file.lower() in PUBLISHED:
        path = cached_path(args.file)
        if not path.exists():
            _error(f"the {args.file} weights are not downloaded yet; run "
                   f"'mrcnn-tf weights fetch {args.file}'")
            return 1
    try:
        info = family_for_file(path).inspect(path)
    except (ValueError, OSError) as err:
        _error(str(err))
        return 1
    print(json.dumps(dataclasses.asdict(info), indent=1) if args.json else info.describe())
    return 0
