"""Print how long export_saved_model takes and how big the SavedModel is.

    python3 scripts/benchmark_export.py                         # ResNet-101, 1024, both inputs
    python3 scripts/benchmark_export.py --backbone resnet50 --image-dim 256 --load

Weights do not change either figure, so the model keeps its initial weights unless --weights
gives a matterport-layout .h5 file. --load also times, in a fresh process, tf.saved_model.load
and the first call of serving_default on one image (what TF Serving's warm-up pays).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LOAD_AND_CALL = textwrap.dedent("""
    import os, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import cv2, numpy as np, tensorflow as tf
    start = time.perf_counter()
    model = tf.saved_model.load(sys.argv[1])
    loaded = time.perf_counter()
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    data = cv2.imencode(".jpg", image)[1].tobytes()
    model.signatures["serving_default"](image_bytes=tf.constant([data]))
    first = time.perf_counter()
    model.signatures["serving_default"](image_bytes=tf.constant([data]))
    print(f"{loaded - start:.1f} {first - loaded:.1f} {time.perf_counter() - first:.2f}")
""")


def _size(path) -> int:
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(path) for name in names)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", choices=("resnet50", "resnet101"), default="resnet101")
    parser.add_argument("--image-dim", type=int, default=1024,
                        help="IMAGE_MAX_DIM (IMAGE_MIN_DIM is min(800, this)); default 1024")
    parser.add_argument("--weights", help="matterport-layout .h5 (default: initial weights)")
    parser.add_argument("--mask-format", choices=("box", "image"), default="box")
    parser.add_argument("--load", action="store_true",
                        help="also time loading and the first call in a fresh process")
    args = parser.parse_args(argv)

    import mrcnn_tf
    from mrcnn_tf.export import export_saved_model

    start = time.perf_counter()
    config = mrcnn_tf.CocoConfig(BACKBONE=args.backbone, IMAGES_PER_GPU=1,
                                 IMAGE_MAX_DIM=args.image_dim,
                                 IMAGE_MIN_DIM=min(800, args.image_dim))
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    if args.weights:
        model.load_weights(args.weights)
    built = time.perf_counter() - start
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print(f"model: {args.backbone}, {args.image_dim}x{args.image_dim}, "
          f"{config.NUM_CLASSES} classes, masks '{args.mask_format}' (built in {built:.1f} s)")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        path = export_saved_model(model, os.path.join(folder, "mask_rcnn"),
                                  mask_format=args.mask_format)
        seconds = time.perf_counter() - start
        graph = os.path.getsize(os.path.join(path, "saved_model.pb"))
        variables = _size(os.path.join(path, "variables"))
        print(f"export time: {seconds:.1f} s")
        print(f"SavedModel size: {_size(path) / 2**20:.1f} MiB (saved_model.pb "
              f"{graph / 2**20:.1f} MiB, variables {variables / 2**20:.1f} MiB)")
        if args.load:
            done = subprocess.run([sys.executable, "-c", LOAD_AND_CALL, path],
                                  capture_output=True, text=True)
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
                return 1
            load, first, steady = done.stdout.split()
            print(f"fresh process: tf.saved_model.load {load} s, first call {first} s, "
                  f"second call {steady} s (one 640x480 JPEG)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
