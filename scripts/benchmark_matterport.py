#!/usr/bin/env python3
"""Time matterport's own Mask R-CNN (the TF2 port in PixelLib 0.7.1) the way
benchmark_detect.py times ours, for a side-by-side on one machine.

It needs its own environment (PixelLib's code runs on tf-keras, the legacy Keras 2):

    python3 -m venv /tmp/pl --system-site-packages
    /tmp/pl/bin/pip install --no-deps pixellib==0.7.1 && /tmp/pl/bin/pip install "tf-keras==2.21.*" imantics
    /tmp/pl/bin/python scripts/benchmark_matterport.py WEIGHTS.h5

Weights are loaded with tf-keras's own HDF5 reader and every layer is checked to hold the
file's values before anything is timed (matterport_reference.build_matterport_model): PixelLib's
own ``load_weights`` leaves them random on TensorFlow >= 2.16, and random weights detect other
things and so do other work. The detections per image are printed beside the times; compare
them with benchmark_detect.py's (same weights, images and thresholds) before reading a ratio.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matterport_reference import IMAGES, build_matterport_model, skimage_image  # noqa: E402
from benchmark_detect import machine_description  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="a matterport-layout .h5 (ResNet-101, 81 classes)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    model = build_matterport_model(args.weights)
    build = time.perf_counter() - start
    images = [skimage_image(name) for name in IMAGES]
    start = time.perf_counter()
    model.detect([images[0]])
    first = time.perf_counter() - start
    times, counts = [], {}
    for i in range(args.repeats):
        start = time.perf_counter()
        result = model.detect([images[i % len(images)]])[0]
        times.append(time.perf_counter() - start)
        counts[IMAGES[i % len(images)]] = len(result["class_ids"])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {machine_description()}; weights verified loaded")
    print(f"matterport (PixelLib 0.7.1) resnet101 1024  build+load {build:6.1f} s  first call "
          f"{first:6.1f} s  steady median {statistics.median(times):6.2f} s (min {min(times):.2f},"
          f" max {max(times):.2f}, {args.repeats} runs)  peak RSS {rss:,.0f} MB")
    print("detections per image: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
