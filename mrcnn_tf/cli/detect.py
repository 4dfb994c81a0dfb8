"""``mrcnn-tf detect``: find objects in images and write pictures, cut-outs and JSON."""
from __future__ import annotations

import argparse
import sys

from mrcnn_tf.cli.arguments import add_max_pixels_argument, add_model_arguments, describe_command

DESCRIPTION = """\
Detect objects in images with Mask R-CNN and write, for each input image NAME.EXT, into DIR:

  NAME.png            the image with each object's mask, outline, box and "class score"
                      label drawn (not with --no-draw)
  NAME.splash.png     with --splash: grayscale except the detected objects
  NAME.json           {"image", "image_id", "height", "width", "detections": [{"class_id",
                      "class_name", "score", "box": [y1, x1, y2, x2], "bbox": [x, y, w, h],
                      "mask_area", "rle": {"size": [h, w], "counts"}}]}  (pixels; rle is
                      pycocotools' compressed RLE of the mask)
  NAME_objects/       with --extract: NNN_CLASS.png, each object cut out of its box as RGBA
                      (transparent outside the mask); NNN is the detection's index
  NAME.semantic.png   with --semantic: the class id of each pixel (0 = background; where
                      objects overlap, the higher score wins), a one-channel PNG, 8-bit
                      for up to 256 classes, else 16-bit: read it with
                      cv2.imread(path, cv2.IMREAD_UNCHANGED)
  NAME.instances.png  with --semantic: the detection's index + 1 on each pixel (0 = none),
                      the index into NAME.json's detections; 8-bit up to 255, else 16-bit
  NAME.semantic_preview.png
                      with --semantic: the class map in colours (each class the colour of
                      its first object in NAME.png), background black

and once for the run:

  detections.json     all detections in COCO results format (image_id, category_id,
                      bbox [x, y, w, h], score, segmentation RLE), ready for COCO.loadRes;
                      category ids are COCO's for the COCO classes, else the class ids
  image_ids.json      the map {input file: image_id} used in detections.json

Two inputs with the same name (a/x.jpg, b/x.jpg) get x and x_2; outputs never overwrite an
input. An image that is missing, unreadable or corrupt, or larger than --max-pixels (width x
height as its header states it; such a file is never decoded), gets one error line and the
others are still processed; the exit status is 1 if any image or input (an empty folder, a
pattern matching nothing) failed, 2 if the run could not start (weights, options, an output
folder that cannot be written), 0 otherwise.
"""

EPILOG = """\
examples:
  mrcnn-tf detect samples/images --weights coco --out out/
  mrcnn-tf detect "photos/**/*.jpg" --classes person,dog --min-score 0.8 --extract --out out/
  mrcnn-tf detect scans/ --weights balloon.h5 --class-names balloon.txt --splash --out out/
  mrcnn-tf detect street.jpg --semantic --out out/

The first use of --weights coco downloads matterport's mask_rcnn_coco.h5 (246 MiB) into
$MRCNN_TF_HOME (default ~/.cache/mrcnn_tf); MRCNN_TF_COCO_URL overrides the download URL.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The detect command's arguments."""
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="image files, folders (their image files) or glob patterns; quote "
                             "patterns, e.g. \"photos/*.jpg\" (** spans folders)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (created if needed)")
    parser.add_argument("--extract", action="store_true",
                        help="also write each object as an RGBA cut-out, "
                             "NAME_objects/NNN_CLASS.png")
    parser.add_argument("--splash", action="store_true",
                        help="also write NAME.splash.png (grayscale except the objects)")
    parser.add_argument("--semantic", action="store_true",
                        help="also write per-pixel maps: NAME.semantic.png (class ids), "
                             "NAME.instances.png (detection index + 1) and a coloured "
                             "NAME.semantic_preview.png")
    parser.add_argument("--no-draw", action="store_true",
                        help="do not write the annotated NAME.png")
    parser.add_argument("-r", "--recursive", action="store_true",
                        help="take image files from sub-folders of INPUT folders too")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary (errors are still printed)")
    add_max_pixels_argument(parser, "a larger image gets one error line and is skipped")
    add_model_arguments(parser, filters=True, exported=True)
    parser.set_defaults(run=run)


def _error(message: str) -> None:
    from tqdm import tqdm

    tqdm.write(f"mrcnn-tf detect: error: {message}", file=sys.stderr)


def run(args) -> int:
    """Run detect with parsed arguments; returns the exit status."""
    from mrcnn_tf.cli.detect_run import DetectRun
    from mrcnn_tf.cli.model_setup import SetupError

    try:
        job = DetectRun.prepare(args)
    except SetupError as err:
        _error(str(err))
        return 2
    for item, problem in job.input_problems:
        _error(f"{item}: {problem}")
    if not job.paths:
        _error("no images to process")
        return 1
    try:
        job.setup_model()
    except SetupError as err:
        _error(str(err))
        return 2
    failed = job.process_all(report=lambda path, problem: _error(f"{path}: {problem}"))
    return 1 if failed or job.input_problems else 0

