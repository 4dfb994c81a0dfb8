"""``mrcnn-tf evaluate``: COCO AP of a weights file on a COCO-format annotation file."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mrcnn_tf.cli.arguments import add_model_arguments, describe_command

DESCRIPTION = """\
Detect objects in the images of a COCO-format annotation file and score the detections with
pycocotools (bbox and/or segm): AP (IoU 0.5:0.95), AP50, AP75 and AP for small, medium and
large objects. Malformed annotations and missing image files are reported and skipped.

Model class ids are mapped to the file's category ids: by the file's own categories in id
order when their count (plus background) equals the weights' NUM_CLASSES (a model trained
with CocoDataset on the same file), else by COCO's 80 category ids for 81-class weights.
"""

EPILOG = """\
examples:
  mrcnn-tf evaluate --weights coco --annotations instances_val2017.json --images val2017
  mrcnn-tf evaluate --weights logs/cells20240101T1200/mask_rcnn_cells_0030.h5 \\
      --annotations cells_val.json --images cells/ --limit 100 --json ap.json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The evaluate command's arguments."""
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--annotations", required=True, metavar="FILE",
                        help="COCO-format annotation JSON (images, annotations, categories)")
    parser.add_argument("--images", required=True, metavar="DIR",
                        help="folder the annotation file's file_name entries are relative to")
    parser.add_argument("--eval-type", default="bbox,segm", type=_eval_types, metavar="TYPES",
                        help="bbox, segm or bbox,segm (default)")
    parser.add_argument("--limit", type=_positive_int, metavar="N",
                        help="evaluate the first N images only")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    model_options = add_model_arguments(parser, weights_required=True, class_names=False)
    model_options.add_argument("--min-score", type=float, default=0.0, metavar="S",
                               help="DETECTION_MIN_CONFIDENCE while evaluating (default 0: "
                                    "every detection counts, as COCO evaluation expects)")
    parser.set_defaults(run=run)


def _eval_types(text):
    types = tuple(t.strip() for t in text.split(",") if t.strip())
    if not types or any(t not in ("bbox", "segm") for t in types):
        raise argparse.ArgumentTypeError(f"{text!r}: expected bbox, segm or bbox,segm")
    return types


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive integer")
    return value


def _error(message):
    print(f"mrcnn-tf evaluate: error: {message}", file=sys.stderr)


def _print_summary(summary):
    names = ("AP", "AP50", "AP75", "APs", "APm", "APl")
    print(f"{summary['images']} images in {summary['seconds']:.1f} s "
          f"({summary['images'] / max(summary['seconds'], 1e-9):.2f} img/s)")
    print("type  " + "  ".join(f"{n:>6}" for n in names))
    for eval_type in ("bbox", "segm"):
        if eval_type in summary:
            print(f"{eval_type:5} " + "  ".join(f"{summary[eval_type][n]:6.3f}" for n in names))


def run(args) -> int:
    """Run evaluate with parsed arguments; returns the exit status (2: could not start)."""
    from mrcnn_tf.cli.model_setup import SetupError, load_from_args, weights_num_classes
    from mrcnn_tf.data.coco_dataset import CocoDataset
    from mrcnn_tf.evaluation.coco import category_mapping, evaluate_coco

    from mrcnn_tf.output_folders import OutputFolderError, check_writable

    if args.json:
        try:
            check_writable(Path(args.json).parent, f"--json {args.json!r}")
        except OutputFolderError as err:
            _error(str(err))
            return 2
    dataset = CocoDataset()
    try:
        dataset.load_coco(args.annotations, args.images)
    except (OSError, ValueError) as err:  # json.JSONDecodeError is a ValueError
        _error(f"--annotations {args.annotations!r}: {err}")
        return 2
    dataset.prepare()
    if not len(dataset.image_ids):
        _error("no usable image in the annotation file")
        return 2
    try:
        num_classes = weights_num_classes(args.weights)
        mapping = category_mapping(dataset, num_classes)
        model = load_from_args(args, command="evaluate", quiet=args.quiet,
                               num_classes=num_classes)
    except (SetupError, ValueError) as err:
        _error(str(err))
        return 2
    summary = evaluate_coco(model, dataset, eval_type=args.eval_type, limit=args.limit,
                            category_ids=mapping, progress=not args.quiet)
    summary["skipped"] = dataset.problems
    _print_summary(summary)
    if dataset.problems:
        print(f"{len(dataset.problems)} annotation/image problem(s) skipped (see warnings above)")
    if args.json:
        try:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=2)
        except OSError as err:
            _error(f"--json {args.json!r}: cannot write ({err}); the scores are printed above")
            return 1
    return 0
