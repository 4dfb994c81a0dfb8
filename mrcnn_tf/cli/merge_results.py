"""``mrcnn-tf merge-results``: detect-beam's JSON-line shards -> one COCO results file."""
from __future__ import annotations

import argparse
import sys

from mrcnn_tf.cli.arguments import describe_command

DESCRIPTION = """\
Merge the PREFIX-detections-*.jsonl shards of 'mrcnn-tf detect-beam' into one COCO results
file (a JSON list of {"image_id", "category_id", "bbox": [x, y, w, h], "score",
"segmentation": RLE}, what pycocotools' COCO.loadRes reads) and write the map
{image path: image_id}. Image ids are 1, 2, ... by sorted image path, so the same images get
the same ids however the run was sharded. Category ids are COCO's for COCO classes, else the
class ids (as 'mrcnn-tf detect' writes detections.json).
"""

EPILOG = """\
examples:
  mrcnn-tf merge-results 'out/run-detections-*.jsonl' --out out/results.json
  mrcnn-tf merge-results 'gs://BUCKET/out/run-detections-*' --out results.json \\
      --image-ids ids.json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("shards", nargs="+", metavar="SHARD",
                        help="detections shard files or quoted patterns (local, gs://, ...)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="the COCO results file to write")
    parser.add_argument("--image-ids", metavar="FILE",
                        help="where to write {image path: image_id} (default: image_ids.json "
                             "beside --out)")
    parser.set_defaults(run=run)


def run(args) -> int:
    try:
        import apache_beam  # noqa: F401
    except ImportError:
        print("mrcnn-tf merge-results: error: needs Apache Beam: pip install "
              "\"mrcnn_tf[beam]\"", file=sys.stderr)
        return 2
    from mrcnn_tf.beam.merge import MergeError, merge_results

    try:
        images, detections = merge_results(args.shards, args.out,
                                           image_ids_path=args.image_ids)
    except (MergeError, OSError) as err:
        print(f"mrcnn-tf merge-results: error: {err}", file=sys.stderr)
        return 1
    print(f"mrcnn-tf merge-results: {images} images, {detections} detections -> {args.out}")
    return 0
