"""``mrcnn-tf export``: write a SavedModel for TensorFlow Serving from a weights file.

The CLI main registers this module: ``add_arguments(parser)`` fills the subcommand's parser and
``run(args)`` does the work and returns the exit status (0 done, 1 export failed, 2 could not
start: weights or options). TensorFlow is imported only by ``run``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from mrcnn_tf.cli.arguments import (add_model_arguments, describe_command, positive_int,
                                     unit_float)
from mrcnn_tf.export.names import BYTES_SIGNATURE, INPUT_KINDS, MASK_FORMATS, TENSOR_SIGNATURE

DESCRIPTION = f"""\
Export Mask R-CNN as a TensorFlow SavedModel that TensorFlow Serving loads: DIR/VERSION/
holds saved_model.pb, variables/ and assets/ (class_names.txt, mrcnn_config.json).

Signatures: {BYTES_SIGNATURE} takes image_bytes, string [batch] of encoded JPEG/PNG images
(sizes may differ); {TENSOR_SIGNATURE} takes images, uint8 [batch, height, width, 3].
Decoding, resizing, padding and mean subtraction happen inside the graph. Outputs:
num_detections, detection_boxes (y1, x1, y2, x2 normalized to the original image),
detection_classes, detection_scores, detection_class_names, detection_masks.
"""

EXPORT_FORMATS = ("savedmodel", "onnx", "openvino", "litert")
PRECISIONS = ("float32", "int8")

EPILOG = """\
examples:
  mrcnn-tf export --weights coco --format onnx --out exported/coco_onnx
  mrcnn-tf export --weights coco --format openvino --precision int8 --out exported/coco_int8
  mrcnn-tf export --weights coco --out exported/mask_rcnn
  mrcnn-tf export --weights balloon.h5 --class-names balloon.txt --out exported/balloon \\
      --version 2 --image-max-dim 512 --image-min-dim 512
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The export command's arguments."""
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="model base directory; the SavedModel is written to DIR/VERSION "
                             "(other formats: DIR itself)")
    parser.add_argument("--format", choices=EXPORT_FORMATS, default="savedmodel",
                        help="savedmodel: for TensorFlow Serving (default); onnx, openvino, "
                             "litert: the portable graph (batch 1, fixed size) as DIR/model.onnx, "
                             "DIR/model.xml + .bin or DIR/model.tflite, with mrcnn_config.json, "
                             "class_names.txt and portable.json beside it, for mrcnn-tf detect "
                             "--model and mrcnn_tf.runtime.load")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="float32 (default); int8: with --format openvino, quantized by "
                             "NNCF post-training quantization and written only when its "
                             "detections agree with the float32 model's (extra [openvino])")
    parser.add_argument("--calibration-images", metavar="DIR",
                        help="--precision int8: calibrate on the .jpg / .png images in DIR "
                             "(default: pictures shipped with scikit-image)")
    parser.add_argument("--version", type=positive_int, default=1, metavar="N",
                        help="model version, the sub-directory TF Serving loads (default 1)")
    parser.add_argument("--max-detections", type=positive_int, metavar="N",
                        help="detection rows per image (default and at most "
                             "DETECTION_MAX_INSTANCES, 100)")
    parser.add_argument("--mask-format", choices=MASK_FORMATS, default="box",
                        help="box: float 28x28 masks relative to each box (default); image: "
                             "uint8 masks at the image's size, one image per request")
    parser.add_argument("--input-kinds", nargs="+", choices=INPUT_KINDS,
                        default=list(INPUT_KINDS), metavar="KIND",
                        help="signatures to write: bytes and/or tensor (default both)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace DIR/VERSION if it exists")
    model_options = add_model_arguments(parser)
    model_options.add_argument("--min-score", type=unit_float, default=0.7, metavar="S",
                               help="DETECTION_MIN_CONFIDENCE baked into the model "
                                    "(default 0.7)")
    parser.set_defaults(run=run)


def directory_size(path) -> int:
    """Bytes in all files under path."""
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def _error(message, status):
    print(f"mrcnn-tf export: error: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Load the weights, export, print where, how long and how big. Returns the exit status."""
    from mrcnn_tf.cli.model_setup import SetupError, model_from_args, weights_classes
    from mrcnn_tf.families import family_named

    from mrcnn_tf.output_folders import OutputFolderError, check_writable

    if args.image_min_dim > args.image_max_dim:
        return _error(f"--image-min-dim {args.image_min_dim} exceeds --image-max-dim "
                      f"{args.image_max_dim}", 2)
    try:
        check_writable(args.out, f"--out {args.out!r}")
    except OutputFolderError as err:
        return _error(err, 2)
    try:
        calibration = _calibration(args)
    except ValueError as err:
        return _error(err, 2)
    try:
        # the family's own resize mode (--fast's may mold images to shapes of their own)
        config_class = family_named(weights_classes(args.weights).family).config_class
        model, classes = model_from_args(args, command="export", quiet=False,
                                         IMAGE_RESIZE_MODE=config_class.IMAGE_RESIZE_MODE)
    except SetupError as err:
        return _error(err, 2)
    if args.format != "savedmodel":
        return _run_portable(args, model, classes, calibration)
    from mrcnn_tf.export.saved_model import export_saved_model

    start = time.perf_counter()
    try:
        path = export_saved_model(model, args.out, version=args.version,
                                  input_kinds=args.input_kinds,
                                  max_detections=args.max_detections,
                                  mask_format=args.mask_format, class_names=classes.names,
                                  overwrite=args.overwrite)
    except (ValueError, OSError) as err:
        return _error(err, 1)
    print(f"exported {path} ({model.config.BACKBONE}, {model.config.NUM_CLASSES} classes) in "
          f"{time.perf_counter() - start:.1f} s, {directory_size(path) / 2**20:.1f} MiB")
    print(f"serve it with TensorFlow Serving: model base path {os.path.dirname(path)}")
    return 0


def _calibration(args):
    """(calibration images or None for the default set, its description) for --precision
    int8, None for float32. A ValueError (one line) for options that do not go together, a
    missing nncf or a calibration folder without images."""
    if args.precision != "int8":
        if args.calibration_images is not None:
            raise ValueError("--calibration-images is for --precision int8")
        return None
    if args.format != "openvino":
        raise ValueError(f"--precision int8 is for --format openvino, not {args.format}")
    try:
        import nncf  # noqa: F401
    except ImportError as err:
        raise ValueError("--precision int8 needs nncf (pip install 'mrcnn-tf[openvino]'): "
                         f"{str(err).splitlines()[0] if str(err) else 'not installed'}") from None
    from mrcnn_tf.export.quantize import read_calibration_images

    if args.calibration_images is None:
        return None, "default: scikit-image pictures"
    return (read_calibration_images(args.calibration_images),
            f"--calibration-images {args.calibration_images}")


def _run_portable(args, model, classes, calibration=None) -> int:
    """--format onnx|openvino|litert: the portable graph into args.out (written whole or not
    at all); --precision int8: quantized, written only when it agrees with float32."""
    from mrcnn_tf.export.portable import export_int8_openvino, export_portable, takes_any_size

    if args.max_detections is not None or args.mask_format != "box":
        return _error("--max-detections and --mask-format are for --format savedmodel", 2)
    if calibration is not None and takes_any_size(model.config):
        return _error(f"--precision int8 is for graphs of one fixed size (matterport's family); "
                      f"{model.config.ARCHITECTURE}'s any-size graph is not quantized", 2)
    start = time.perf_counter()
    try:
        if calibration is None:
            path = export_portable(model, args.out, args.format, class_names=classes.names,
                                   overwrite=args.overwrite)
        else:
            images, described = calibration
            path, agreement = export_int8_openvino(
                model, args.out, class_names=classes.names, images=images,
                calibration=described, overwrite=args.overwrite)
            print(agreement)
    except ImportError as err:
        return _error(f"--format {args.format}: {str(err).splitlines()[0]}", 2)
    except (ValueError, OSError) as err:
        return _error(str(err).splitlines()[0] if str(err) else type(err).__name__, 1)
    config = model.config
    print(f"exported {path} ({args.format} {args.precision}, {config.ARCHITECTURE}, "
          f"{config.NUM_CLASSES} "
          f"classes) in {time.perf_counter() - start:.1f} s, "
          f"{directory_size(os.path.dirname(path)) / 2**20:.1f} MiB")
    print(f"run it with: mrcnn-tf detect IMAGES --model {path} --out DIR")
    return 0
