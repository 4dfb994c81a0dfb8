#!/usr/bin/env python3
"""Time torchvision's own Mask R-CNN (v1 or v2) on CPU, for a side-by-side with
``scripts/benchmark_detect.py --architecture torchvision_v1|torchvision_v2``.

Needs torch and torchvision, which are not dependencies of mrcnn_tf: install them in a
separate environment, e.g.

    python3 -m venv /tmp/tvenv
    /tmp/tvenv/bin/pip install torch torchvision numpy scikit-image
    /tmp/tvenv/bin/python scripts/benchmark_torchvision.py --version v2 --threads 2

Weights: --weights FILE (.pth or .npz state dict) or, by default, the deterministic weights of
../shared/parity/torchvision/make_tv_weights.py (seed 0). Images: skimage.data's astronaut,
coffee and chelsea in turn (as benchmark_detect.py). Prints build + load time, the first call,
the median steady latency and the detection count, with the thread count and CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

PARITY_TV = Path(__file__).resolve().parents[2] / "shared" / "parity" / "torchvision"


def state_dict(path, version):
    import numpy as np
    import torch

    if path is None:
        sys.path.insert(0, str(PARITY_TV))
        import make_tv_weights
        manifest = json.loads((PARITY_TV / f"manifest_tv_{version}.json").read_text())
        return {k: torch.from_numpy(v) for k, v in make_tv_weights.make(manifest, 0).items()}
    if str(path).endswith(".npz"):
        return {k: torch.from_numpy(v) for k, v in np.load(path).items()}
    return torch.load(path, map_location="cpu", weights_only=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", choices=("v1", "v2"), default="v2")
    parser.add_argument("--weights", help="state dict .pth / .npz (default: parity weights)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch.set_num_threads (default: all cores)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-confidence", type=float, default=0.3,
                        help="box_score_thresh (0.3 as the parity references)")
    parser.add_argument("--images", default="astronaut,coffee,chelsea")
    args = parser.parse_args()
    try:
        import numpy as np
        import skimage.data
        import torch
        import torchvision
        from torchvision.models.detection import (maskrcnn_resnet50_fpn,
                                                  maskrcnn_resnet50_fpn_v2)
    except ImportError as err:
        sys.exit(f"benchmark_torchvision: {err}; install torch and torchvision in a separate "
                 "environment (see this script's docstring)")
    torch.set_num_threads(args.threads)
    build = maskrcnn_resnet50_fpn if args.version == "v1" else maskrcnn_resnet50_fpn_v2
    start = time.perf_counter()
    model = build(weights=None, weights_backbone=None, num_classes=91,
                  box_score_thresh=args.min_confidence)
    model.load_state_dict(state_dict(args.weights, args.version), strict=True)
    model.eval()
    build_time = time.perf_counter() - start
    images = []
    for name in args.images.split(","):
        image = getattr(skimage.data, name)()
        image = np.stack([image] * 3, -1) if image.ndim == 2 else image[..., :3]
        images.append(torch.from_numpy(image.copy()).permute(2, 0, 1).float() / 255)
    with torch.no_grad():
        start = time.perf_counter()
        model([images[0]])
        first = time.perf_counter() - start
        times, counts = [], []
        for i in range(args.repeats):
            start = time.perf_counter()
            out = model([images[i % len(images)]])[0]
            times.append(time.perf_counter() - start)
            counts.append(len(out["boxes"]))
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU") if os.path.exists(
                    "/proc/cpuinfo") else "unknown CPU"
    print(f"machine: {cpu}, {os.cpu_count()} cores, torch {torch.__version__}, torchvision "
          f"{torchvision.__version__}, {args.threads} threads")
    print(f"torchvision {args.version}  build+load {build_time:6.1f} s  first call {first:6.1f} s"
          f"  steady median {statistics.median(times):6.2f} s (min {min(times):.2f}, max "
          f"{max(times):.2f}, {args.repeats} runs, {statistics.median(counts):.0f} detections)")


if __name__ == "__main__":
    main()
