#!/usr/bin/env python3
"""Does the low-precision fast mode give the answers float32 gives, on trained weights?

    python3 scripts/check_precision.py WEIGHTS [--dataset shapes | --coco-annotations A
                                                --images DIR] [--shapes-size HxW]
                                               [--precision bfloat16]
                                               [--mode square|fit64] [--reference-mode M]
                                               [--limit N]
                                               [--low-precision-heads] [--resize-library opencv]
                                               [--fold-batch-norm] [--set FIELD=VALUE ...]

Runs the same weights (any file MaskRCNN.from_weights reads: a matterport .h5 such as
mask_rcnn_coco.h5, a training checkpoint, a torchvision state dict) twice on the same images:
float32 "square" (exact; --reference-mode fit64: float32 fit64, to judge the precision apart
from the resize mode) and COMPUTE_DTYPE=--precision with IMAGE_RESIZE_MODE=--mode, and
optionally LOW_PRECISION_HEADS, RESIZE_LIBRARY=opencv and FOLD_BATCH_NORM (all three: the
fast mode, mrcnn-tf --fast). It prints,
with the machine:
- the mask mAP@0.5 of both against the ground truth (matterport's compute_ap, averaged over
  the images) and their difference (target: <= 0.01);
- their agreement by the parity criterion (evaluation.agreement: same class, box IoU >= 0.9),
  float32 as the reference, summed over the images: recall, precision (target >= 0.9 each)
  and mean mask IoU of matched pairs (target >= 0.9);
- the median detect() time of each.
The header names the fast model's Config fields as the built model holds them. A run where
float32 detects nothing on the images cannot judge anything: it says so and exits 3 (PASS 0,
FAIL 1, bad arguments 2).
--dataset shapes: 50 held-out synthetic shapes (seed 1, 128x128 as samples/shapes trains on, or
--shapes-size HxW: square images mold the same in "square" and fit64, so 64x128 is what
checks fit64 on them); COCO:
an annotation file and its image folder (e.g. val2017). bfloat16 is only faster on CPUs with
AMX or AVX512-BF16 (the machine line says whether this one has them); random weights cannot
judge it (they are far more precision-sensitive than trained ones).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from benchmark_detect import machine_description  # noqa: E402
from mrcnn_tf import MaskRCNN  # noqa: E402
from mrcnn_tf.evaluation.agreement import compare_detections  # noqa: E402
from mrcnn_tf.evaluation.metrics import compute_ap  # noqa: E402
from mrcnn_tf.ops.boxes import extract_bboxes  # noqa: E402

TARGETS = {"map_diff": 0.01, "recall": 0.9, "precision": 0.9, "mask_iou": 0.9}
# the fast model's Config fields the report names (and any given with --set)
REPORTED_FIELDS = ("COMPUTE_DTYPE", "IMAGE_RESIZE_MODE", "LOW_PRECISION_HEADS",
                   "RESIZE_LIBRARY", "FOLD_BATCH_NORM", "DETECTION_MIN_CONFIDENCE",
                   "IMAGE_MIN_DIM", "IMAGE_MAX_DIM")
CANNOT_JUDGE = 3  # exit status when float32 detects nothing


def load_dataset(args):
    if args.coco_annotations:
        from mrcnn_tf.data import CocoDataset

        dataset = CocoDataset()
        dataset.load_coco(args.coco_annotations, args.images)
    else:
        from mrcnn_tf.data import ShapesDataset

        dataset = ShapesDataset()
        dataset.load_shapes(50, *(args.shapes_size or (128, 128)), seed=1)
    dataset.prepare()
    return dataset


def run(model, images):
    results, times = [], []
    model.detect([images[0]])  # trace the graph outside the timing
    for image in images:
        start = time.perf_counter()
        results.append(model.detect([image])[0])
        times.append(time.perf_counter() - start)
    return results, statistics.median(times)


def mask_map(dataset, image_ids, results) -> float:
    aps = []
    for image_id, r in zip(image_ids, results):
        masks, class_ids = dataset.load_mask(image_id)
        aps.append(compute_ap(extract_bboxes(masks), class_ids, masks, r["rois"],
                              r["class_ids"], r["scores"], r["masks"], iou_threshold=0.5)[0])
    return float(np.mean(aps))


def agreement(exact, fast, shapes) -> dict:
    """The parity criterion summed over images (float32 is the reference)."""
    matched = reference = ours = 0
    iou_sum = 0.0
    for e, f, shape in zip(exact, fast, shapes):
        a = compare_detections(e, f, shape)
        matched, reference, ours = matched + a.matched, reference + a.reference_count, \
            ours + a.our_count
        iou_sum += a.mean_mask_iou * a.matched
    return {"recall": matched / reference if reference else 1.0,
            "precision": matched / ours if ours else 1.0,
            "mask_iou": iou_sum / matched if matched else 1.0, "reference": reference,
            "ours": ours, "matched": matched}


def image_size(text: str) -> tuple:
    """'64x128' -> (64, 128): the height and width of the shapes images."""
    height, sep, width = text.partition("x")
    if not (sep and height.isdigit() and width.isdigit() and min(int(height), int(width)) > 40):
        raise argparse.ArgumentTypeError(f"{text!r} is not HEIGHTxWIDTH with both sides > 40 "
                                         "pixels (the shapes keep 20 pixels from each border)")
    return int(height), int(width)


def config_field(text: str) -> tuple:
    """'FIELD=VALUE' -> (FIELD, the Python literal VALUE, or VALUE as a string)."""
    import ast

    field, sep, value = text.partition("=")
    if not sep or not field.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not FIELD=VALUE")
    try:
        return field.strip(), ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return field.strip(), value


def parse_arguments(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights")
    parser.add_argument("--dataset", choices=("shapes",), default="shapes")
    parser.add_argument("--shapes-size", type=image_size, metavar="HxW",
                        help="height x width of the held-out shapes (default 128x128; square "
                             "images mold alike in square and fit64: 64x128 tells them apart)")
    parser.add_argument("--coco-annotations", help="COCO annotation file (instead of shapes)")
    parser.add_argument("--images", help="the annotation file's image folder")
    parser.add_argument("--precision", choices=("bfloat16", "float16", "float32"),
                        default="bfloat16",
                        help="COMPUTE_DTYPE of the fast run (float32: check --mode, "
                             "--resize-library alone)")
    parser.add_argument("--mode", choices=("square", "fit64"), default="square",
                        help="resize mode of the fast run (default square: precision alone)")
    parser.add_argument("--reference-mode", choices=("square", "fit64"), default="square",
                        help="resize mode of the float32 reference run (default square, "
                             "matterport's; fit64 leaves only the precision options to judge)")
    parser.add_argument("--low-precision-heads", action="store_true",
                        help="fast run: LOW_PRECISION_HEADS (the heads' convolutions too)")
    parser.add_argument("--resize-library", choices=("skimage", "opencv"), default="skimage",
                        help="fast run: RESIZE_LIBRARY (default skimage)")
    parser.add_argument("--fold-batch-norm", action="store_true",
                        help="fast run: FOLD_BATCH_NORM (BatchNorm folded into the convolutions)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        type=config_field,
                        help="a Config field of both runs, as a Python literal (repeatable), "
                             "for weights trained with other sizes, e.g. "
                             "--set MASK_POOL_SIZE=7 --set 'MASK_SHAPE=[14, 14]'")
    parser.add_argument("--limit", type=int, help="use the first N images")
    parser.add_argument("--image-dim", type=int,
                        help="IMAGE_MIN_DIM and IMAGE_MAX_DIM (default: 128 for shapes, the "
                             "configuration's for COCO)")
    parser.add_argument("--min-confidence", type=float, default=0.5,
                        help="DETECTION_MIN_CONFIDENCE of both runs (default 0.5)")
    args = parser.parse_args(argv)
    if args.coco_annotations and not args.images:
        parser.error("--coco-annotations needs --images")
    if args.coco_annotations and args.shapes_size:
        parser.error("--shapes-size is for the shapes, not --coco-annotations")
    return args


def main(argv=None) -> int:
    args = parse_arguments(argv)
    dataset = load_dataset(args)
    image_ids = list(dataset.image_ids)[:args.limit]
    images = [dataset.load_image(i) for i in image_ids]
    exact_model, fast_model = build_models(args)
    (exact, exact_time), (fast, fast_time) = (run(m, images) for m in (exact_model, fast_model))
    fast_name = run_name(args)
    print_header(args, images, fast_name, fast_model)
    agree = agreement(exact, fast, [image.shape[:2] for image in images])
    if agree["reference"] == 0:
        print(f"CANNOT JUDGE: float32 detected nothing on these {len(images)} images, so "
              "there is nothing to agree with (lower --min-confidence or use trained weights)")
        return CANNOT_JUDGE
    maps = [mask_map(dataset, image_ids, r) for r in (exact, fast)]
    return report(fast_name, maps, agree, (exact_time, fast_time))


def report(fast_name, maps, agree, times) -> int:
    """Print the measures and the verdict; 0 for PASS, 1 for FAIL."""
    (exact_map, fast_map), (exact_time, fast_time) = maps, times
    diff = abs(exact_map - fast_map)
    ok = (diff <= TARGETS["map_diff"] and agree["recall"] >= TARGETS["recall"]
          and agree["precision"] >= TARGETS["precision"]
          and agree["mask_iou"] >= TARGETS["mask_iou"])
    print(f"mask mAP@0.5: float32 {exact_map:.3f}, {fast_name} {fast_map:.3f} "
          f"(difference {diff:.3f}, target <= 0.01)")
    print(f"agreement: recall {agree['recall']:.3f}, precision {agree['precision']:.3f} "
          f"({agree['matched']} of {agree['reference']} / {agree['ours']}), mean mask IoU "
          f"{agree['mask_iou']:.3f} (targets >= 0.9)")
    print(f"detect() median: float32 {exact_time:.3f} s, {fast_name} {fast_time:.3f} s "
          f"({exact_time / max(fast_time, 1e-9):.2f}x)")
    print("PASS" if ok else "FAIL: the fast mode does not give float32's answers here")
    return 0 if ok else 1


def build_models(args) -> tuple:
    """(float32 reference model, fast model) on the weights, as the arguments ask."""
    dim = args.image_dim or (None if args.coco_annotations else 128)
    sizes = {"IMAGE_MIN_DIM": dim, "IMAGE_MAX_DIM": dim} if dim else {}
    common = dict(IMAGES_PER_GPU=1, DETECTION_MIN_CONFIDENCE=args.min_confidence, **sizes,
                  **dict(args.set))
    fast_fields = {"COMPUTE_DTYPE": args.precision, "IMAGE_RESIZE_MODE": args.mode,
                   "LOW_PRECISION_HEADS": args.low_precision_heads,
                   "RESIZE_LIBRARY": args.resize_library,
                   "FOLD_BATCH_NORM": args.fold_batch_norm}
    return tuple(MaskRCNN.from_weights(args.weights, **common, **fields)
                 for fields in ({"IMAGE_RESIZE_MODE": args.reference_mode}, fast_fields))


def run_name(args) -> str:
    extras = "".join([", heads too" if args.low_precision_heads else "",
                      ", OpenCV resize" if args.resize_library == "opencv" else "",
                      ", BatchNorm folded" if args.fold_batch_norm else ""])
    return f"{args.precision} ({args.mode}{extras})"


def fast_config_line(model, set_fields) -> str:
    """The fast model's Config fields as the built model holds them (not as asked)."""
    names = list(REPORTED_FIELDS) + [f for f, _ in set_fields if f not in REPORTED_FIELDS]
    fields = ", ".join(f"{name}={getattr(model.config, name)}" for name in names)
    return f"fast model Config: {fields}"


def print_header(args, images, fast_name, fast_model):
    print(machine_description())
    sizes = {image.shape[:2] for image in images}
    of_size = " of {}x{}".format(*sizes.pop()) if len(sizes) == 1 else ""
    print(f"{args.weights}: {len(images)} images{of_size}, {fast_name} against float32 "
          f"({args.reference_mode})")
    print(fast_config_line(fast_model, args.set))


if __name__ == "__main__":
    raise SystemExit(main())
