#!/usr/bin/env python3
"""Time MaskRCNN.detect(): first call, steady latency (median of repeats), peak RSS, retracing.

    python scripts/benchmark_detect.py                      # ResNet-101 and ResNet-50 at 1024
    python scripts/benchmark_detect.py --weights mask_rcnn_coco.h5 --backbones resnet101
    python scripts/benchmark_detect.py --architecture torchvision_v2   # torchvision's Mask R-CNN
    python scripts/benchmark_detect.py --architecture torchvision_v1 --weights FILE.pth

Without --weights, deterministic weights are built with ../shared/parity/make_weights.py
(numbers then depend a little on how many detections those weights give; COCO weights on
photos give 5-30). Run it on an idle machine: the figures are wall-clock times.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
PARITY = REPO.parent / "shared" / "parity"


SPEED_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16")


def machine_description() -> str:
    cpu, flags = platform.processor() or "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    cpu += f" (flags: {' '.join(f for f in SPEED_FLAGS if f in flags) or 'none of ' + ','.join(SPEED_FLAGS)})"
    import tensorflow as tf
    import keras
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"GPUs: {len(tf.config.list_physical_devices('GPU'))}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def parity_weights(backbone: str, folder: Path) -> Path:
    sys.path.insert(0, str(PARITY))
    import make_weights
    manifest = PARITY / f"manifest_{'r101' if backbone == 'resnet101' else 'r50'}.json"
    out = folder / f"{backbone}.h5"
    if not out.exists():
        make_weights.write(json.loads(manifest.read_text()), str(out), 0)
    return out


def torchvision_weights(architecture: str, folder: Path) -> Path:
    sys.path.insert(0, str(PARITY / "torchvision"))
    import numpy as np
    import make_tv_weights
    version = architecture.rsplit("_", 1)[-1]
    manifest = PARITY / "torchvision" / f"manifest_tv_{version}.json"
    out = folder / f"tv_{version}.npz"
    if not out.exists():
        np.savez(out, **make_tv_weights.make(json.loads(manifest.read_text()), 0))
    return out


def benchmark(backbone, weights, size, repeats, images, *, precision="float32",
              mode="square", stages=False, min_confidence=0.7, architecture="matterport",
              low_precision_heads=False, resize_library="skimage", fold_batch_norm=False):
    import mrcnn_tf
    start = time.perf_counter()
    if architecture == "matterport":
        config = mrcnn_tf.CocoConfig(BACKBONE=backbone, IMAGES_PER_GPU=1, IMAGE_MAX_DIM=size,
                                     IMAGE_MIN_DIM=min(800, size), COMPUTE_DTYPE=precision,
                                     IMAGE_RESIZE_MODE=mode,
                                     DETECTION_MIN_CONFIDENCE=min_confidence,
                                     LOW_PRECISION_HEADS=low_precision_heads,
                                     RESIZE_LIBRARY=resize_library,
                                     FOLD_BATCH_NORM=fold_batch_norm)
        model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
        model.load_weights(weights)
    else:  # torchvision's sizes (800 / 1333) and resize rule; size and mode do not apply
        model = mrcnn_tf.MaskRCNN.from_weights(weights, COMPUTE_DTYPE=precision,
                                               DETECTION_MIN_CONFIDENCE=min_confidence)
        backbone, size, mode = architecture, model.config.IMAGE_MAX_DIM, "tv"
    build = time.perf_counter() - start
    start = time.perf_counter()
    model.detect([images[0]])
    first = time.perf_counter() - start
    times, counts = [], []
    for i in range(repeats):
        image = images[i % len(images)]
        start = time.perf_counter()
        result = model.detect([image])[0]
        times.append(time.perf_counter() - start)
        counts.append(len(result["class_ids"]))
    traces = model._detector._predict.experimental_get_tracing_count()
    options = "".join([" heads-low" if low_precision_heads else "",
                       " opencv" if resize_library == "opencv" else "",
                       " bn-folded" if fold_batch_norm else ""])
    print(f"{backbone:10} {size:5d} {precision:8} {mode:6}{options}  build+load {build:6.1f} s  "
          f"first call {first:6.1f} s  steady median {statistics.median(times):6.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}, {repeats} runs, "
          f"{statistics.median(counts):.0f} detections)  traces {traces}  "
          f"peak RSS {peak_rss_mb():,.0f} MB", flush=True)
    if stages:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from stage_profile import detect_time, stage_times
        breakdown = stage_times(model, images[0], repeats=max(3, repeats // 2))
        total = detect_time(model, images[0], repeats=max(3, repeats // 2))
        breakdown["other (between stages)"] = max(total - sum(breakdown.values()), 0.0)
        print(f"    shares of detect() on one image, {total:.3f} s (median):")
        for stage, seconds in breakdown.items():
            print(f"    {stage:30} {seconds:7.3f} s  {100 * seconds / total:5.1f} %")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", default="resnet101,resnet50")
    parser.add_argument("--weights", help="a weights file (else built from ../shared/parity)")
    parser.add_argument("--architecture", default="matterport",
                        choices=("matterport", "torchvision_v1", "torchvision_v2"),
                        help="model family; torchvision_* time torchvision's Mask R-CNN "
                             "(ResNet-50, short side 800, long side at most 1333)")
    parser.add_argument("--size", type=int, default=1024, help="IMAGE_MAX_DIM")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--precision", default="float32",
                        help="Config.COMPUTE_DTYPE: float32, bfloat16 or float16")
    parser.add_argument("--mode", default="square", help="IMAGE_RESIZE_MODE (square, fit64, ...)")
    parser.add_argument("--low-precision-heads", action="store_true",
                        help="Config.LOW_PRECISION_HEADS: the heads' convolutions in --precision")
    parser.add_argument("--resize-library", default="skimage", choices=("skimage", "opencv"),
                        help="Config.RESIZE_LIBRARY (default skimage, matterport's)")
    parser.add_argument("--fold-batch-norm", action="store_true",
                        help="Config.FOLD_BATCH_NORM: BatchNorm folded into the convolutions")
    parser.add_argument("--min-confidence", type=float, default=0.7,
                        help="DETECTION_MIN_CONFIDENCE (lower it to time many detections)")
    parser.add_argument("--images", default="astronaut,coffee,chelsea",
                        help="skimage.data images used in turn (coffee is 400x600)")
    parser.add_argument("--stages", action="store_true",
                        help="also print a per-stage breakdown of one detect() call")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not args.one:  # each backbone in its own process, so peak RSS is its own
        print(f"machine: {machine_description()}", flush=True)
        backbones = args.backbones.split(",") if args.architecture == "matterport" else ["resnet50"]
        for backbone in backbones:
            subprocess.run([sys.executable, __file__, "--one", "--backbones", backbone,
                            "--size", str(args.size), "--repeats", str(args.repeats),
                            "--precision", args.precision, "--mode", args.mode,
                            "--min-confidence", str(args.min_confidence),
                            "--images", args.images, "--architecture", args.architecture,
                            "--resize-library", args.resize_library]
                           + (["--stages"] if args.stages else [])
                           + (["--low-precision-heads"] if args.low_precision_heads else [])
                           + (["--fold-batch-norm"] if args.fold_batch_norm else [])
                           + (["--weights", args.weights] if args.weights else []), check=True)
        return
    import skimage.data
    # images of different sizes in turn: steady latency must not include retracing
    images = [getattr(skimage.data, name)() for name in args.images.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        if args.weights:
            weights = args.weights
        elif args.architecture == "matterport":
            weights = parity_weights(args.backbones, Path(tmp))
        else:
            weights = torchvision_weights(args.architecture, Path(tmp))
        benchmark(args.backbones, weights, args.size, args.repeats, images,
                  precision=args.precision, mode=args.mode, stages=args.stages,
                  min_confidence=args.min_confidence, architecture=args.architecture,
                  low_precision_heads=args.low_precision_heads,
                  resize_library=args.resize_library, fold_batch_norm=args.fold_batch_norm)


if __name__ == "__main__":
    main()
