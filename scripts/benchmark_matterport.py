#!/usr/bin/env python3
"""Time matterport's own Mask R-CNN (the TF2 port in PixelLib 0.7.1) the way
benchmark_detect.py times ours, for a side-by-side on one machine.

It needs its own environment (PixelLib's code runs on tf-keras, the legacy Keras 2):

    python3 -m venv /tmp/pl --system-site-packages
    /tmp/pl/bin/pip install --no-deps pixellib==0.7.1 && /tmp/pl/bin/pip install "tf-keras==2.21.*" imantics
    /tmp/pl/bin/python scripts/benchmark_matterport.py WEIGHTS.h5

Weights are loaded with tf-keras's own HDF5 reader (``by_name=True``), since PixelLib's
``load_weights`` leaves them random on TensorFlow >= 2.16.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

os.environ["TF_USE_LEGACY_KERAS"] = "1"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="a matterport-layout .h5 (ResNet-101, 81 classes)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import skimage.data
    from pixellib.instance import mask_rcnn
    from pixellib.instance.config import Config

    config = Config(BACKBONE="resnet101", NUM_CLASSES=81, class_names=["BG"] + ["c"] * 80,
                    IMAGES_PER_GPU=1, IMAGE_MAX_DIM=1024, IMAGE_MIN_DIM=800,
                    DETECTION_MIN_CONFIDENCE=0.7, IMAGE_RESIZE_MODE="square", GPU_COUNT=1)
    start = time.perf_counter()
    model = mask_rcnn.MaskRCNN(mode="inference", config=config, model_dir=os.getcwd())
    model.keras_model.load_weights(args.weights, by_name=True)
    build = time.perf_counter() - start
    images = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea()]
    start = time.perf_counter()
    model.detect([images[0]])
    first = time.perf_counter() - start
    times = []
    for i in range(args.repeats):
        start = time.perf_counter()
        model.detect([images[i % len(images)]])
        times.append(time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"matterport (PixelLib 0.7.1) resnet101 1024  build+load {build:6.1f} s  first call "
          f"{first:6.1f} s  steady median {statistics.median(times):6.2f} s (min {min(times):.2f},"
          f" max {max(times):.2f}, {args.repeats} runs)  peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
