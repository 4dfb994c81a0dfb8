"""argparse pieces shared by the mrcnn-tf commands: value types, each raising
ArgumentTypeError with a one-line reason that argparse prints after the option's name, the
model options (add_model_arguments) and the help layout (describe_command)."""
from __future__ import annotations

import argparse

from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS, MEGAPIXEL


def whole_number(text, minimum: int = 1) -> int:
    """A whole number >= minimum (argparse.ArgumentTypeError otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} is not >= {minimum}")
    return value


def positive_int(text) -> int:
    """A whole number >= 1."""
    return whole_number(text, 1)


def non_negative_int(text) -> int:
    """A whole number >= 0 (seeds, indices)."""
    return whole_number(text, 0)


def positive_float(text) -> float:
    """A number > 0 (seconds, sizes)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not > 0")
    return value


def unit_float(text) -> float:
    """A number in [0, 1] (scores, thresholds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def pixel_count(text) -> int:
    """Pixels: a whole number, or megapixels with an M/MP suffix (40M)."""
    value = str(text).strip().upper()
    scale = 1
    for suffix in ("MP", "M"):
        if value.endswith(suffix):
            value, scale = value[:-len(suffix)], MEGAPIXEL
            break
    try:
        pixels = int(float(value) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pixel count (e.g. 40M or "
                                         "40000000)") from None
    if pixels < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not >= 1 pixel")
    return pixels


def add_max_pixels_argument(parser, what: str) -> None:
    """--max-pixels N (pixel_count, default image_decode.DEFAULT_MAX_PIXELS, the same for
    every command); what: what the command does with a larger image, for the help."""
    parser.add_argument("--max-pixels", type=pixel_count, default=DEFAULT_MAX_PIXELS,
                        metavar="N",
                        help=f"largest image, width x height, as its header states it (checked "
                             f"before decoding): {what} (a number or megapixels, e.g. 12.5M; "
                             f"default {DEFAULT_MAX_PIXELS // MEGAPIXEL}M)")


def image_dim(text) -> int:
    """An image side for IMAGE_MIN_DIM / IMAGE_MAX_DIM: a positive multiple of 64."""
    value = positive_int(text)
    if value % 64:
        raise argparse.ArgumentTypeError(f"{value} is not a multiple of 64 (64, 128, ... 1024)")
    return value


def describe_command(parser: argparse.ArgumentParser, *, description: str, epilog: str) -> None:
    """Set a command's --help text: description and epilog, printed as written (line breaks
    and indentation kept)."""
    parser.description = description
    parser.epilog = epilog
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def add_model_arguments(parser: argparse.ArgumentParser, *, weights_required: bool = False,
                        class_names: bool = True, filters: bool = False,
                        exported: bool = False):
    """Add the options that choose and size the model, as one "model options" group, and
    return the group (a command adds its own model options to it, e.g. --min-score).

    Always: --weights (default 'coco' unless weights_required), --image-max-dim (default
    1024), --image-min-dim (default 800) and --fast. class_names: --class-names FILE. filters:
    --classes LIST and --min-score S (default None: the model's 0.7). exported: --model FILE,
    an exported portable model run instead of the weights (model_setup.model_or_exported).
    model_setup's choose_classes / load_from_args read the parsed values.
    """
    group = parser.add_argument_group("model options")
    group.add_argument("--weights", required=weights_required,
                       default=None if weights_required else "coco", metavar="PATH|coco",
                       help="matterport-format .h5 weights file, a torchvision Mask R-CNN "
                            "state dict (.pth, .npz, .safetensors), or 'coco' (matterport's "
                            "COCO weights) / 'torchvision-v1' / 'torchvision-v2' (torchvision's "
                            "COCO weights), downloaded on first use"
                            + ("" if weights_required else " (default: coco)")
                            + "; the backbone and class count are read from the file")
    if class_names:
        group.add_argument("--class-names", metavar="FILE",
                           help="class names for non-COCO weights: one a line, the first 'BG' "
                                "(default: COCO's names for 81-class weights, else class_1, "
                                "class_2, ...)")
    if filters:
        group.add_argument("--classes", metavar="LIST",
                           help="keep only these classes: comma-separated names, "
                                "case-insensitive (e.g. person,car or \"traffic light,stop "
                                "sign\")")
        group.add_argument("--min-score", type=unit_float, metavar="S",
                           help="keep detections scoring at least S (0-1); sets the model's "
                                "DETECTION_MIN_CONFIDENCE (default 0.7), so lower values also "
                                "return weaker detections")
    group.add_argument("--image-max-dim", type=image_dim, default=1024, metavar="N",
                       help="the model sees each image scaled so its long side is at most N "
                            "pixels, padded to N x N (IMAGE_MAX_DIM, a multiple of 64; "
                            "default 1024); smaller is faster and less accurate. Results "
                            "keep the input's size")
    group.add_argument("--image-min-dim", type=image_dim, default=800, metavar="N",
                       help="the short side is scaled up to N pixels unless that breaks "
                            "--image-max-dim (IMAGE_MIN_DIM, a multiple of 64; default 800; "
                            "at most --image-max-dim)")
    group.add_argument("--config", metavar="FILE",
                       help="Config fields in a YAML or JSON file, as for 'mrcnn-tf train "
                            "--config' (e.g. the BACKBONE 'file.py:function' a model was "
                            "trained with); the options here override it")
    group.add_argument("--fast", action="store_true",
                       help="trade matterport's exact numbers for speed: bfloat16 on CPUs with "
                            "native bfloat16 (AMX/AVX512-BF16), float16 on a GPU, float32 "
                            "elsewhere (COMPUTE_DTYPE auto), heads included; matterport "
                            "weights also pad each side only to a multiple of 64 (fit64) and "
                            "resize with OpenCV. Detections differ slightly")
    if exported:
        group.add_argument("--model", metavar="FILE",
                           help="an exported model (mrcnn-tf export --format onnx|openvino|"
                                "litert: model.onnx, model.xml, model.tflite or its folder) "
                                "run without TensorFlow; --weights, --config, --fast and the "
                                "size options are then ignored (the export fixed them)")
    return group
