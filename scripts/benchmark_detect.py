#!/usr/bin/env python3
"""Time MaskRCNN.detect(): first call, steady latency (median of repeats), peak RSS, retracing.

    python scripts/benchmark_detect.py                      # ResNet-101 and ResNet-50 at 1024
    python scripts/benchmark_detect.py --weights mask_rcnn_coco.h5 --backbones resnet101

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

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PARITY = REPO.parent / "shared" / "parity"


def machine_description() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
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


def benchmark(backbone, weights, size, repeats, images):
    import mrcnn_tf
    config = mrcnn_tf.CocoConfig(BACKBONE=backbone, IMAGES_PER_GPU=1, IMAGE_MAX_DIM=size,
                                 IMAGE_MIN_DIM=min(800, size))
    start = time.perf_counter()
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(weights)
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
    print(f"{backbone:10} {size:5d}  build+load {build:6.1f} s  first call {first:6.1f} s  "
          f"steady median {statistics.median(times):6.2f} s (min {min(times):.2f}, "
          f"max {max(times):.2f}, {repeats} runs, {statistics.median(counts):.0f} detections)  "
          f"traces {traces}  peak RSS {peak_rss_mb():,.0f} MB", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", default="resnet101,resnet50")
    parser.add_argument("--weights", help="a weights file (else built from ../shared/parity)")
    parser.add_argument("--size", type=int, default=1024, help="IMAGE_MAX_DIM")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not args.one:  # each backbone in its own process, so peak RSS is its own
        print(f"machine: {machine_description()}", flush=True)
        for backbone in args.backbones.split(","):
            subprocess.run([sys.executable, __file__, "--one", "--backbones", backbone,
                            "--size", str(args.size), "--repeats", str(args.repeats)]
                           + (["--weights", args.weights] if args.weights else []), check=True)
        return
    import skimage.data
    # images of different sizes in turn: steady latency must not include retracing
    images = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()]
    with tempfile.TemporaryDirectory() as tmp:
        weights = args.weights or parity_weights(args.backbones, Path(tmp))
        benchmark(args.backbones, weights, args.size, args.repeats, images)


if __name__ == "__main__":
    main()
