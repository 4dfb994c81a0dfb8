#!/usr/bin/env python3
"""Images per second of the Beam pipeline (DirectRunner, 1 and 2 worker processes) against a
plain detect() loop on the same images, and the pipeline's overhead per image.

    python scripts/benchmark_beam.py                       # 16 images, ResNet-50 at 256
    python scripts/benchmark_beam.py --images 64 --dim 1024 --backbone resnet101
    python scripts/benchmark_beam.py --weights mask_rcnn_coco.h5 --repeats 5

Every figure is the median of --repeats runs. A "job" is what a user waits for: model build,
first call and every image (the loop reads each file, runs detect() and formats its JSON
record, which is what the pipeline does per image). The pipeline's overhead per image is
(pipeline job time - loop job time) / images for 1 worker. Without --weights, deterministic
weights are built from ../shared/parity (needs apache-beam: pip install "mrcnn_tf[beam]").
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark_detect import machine_description, parity_weights  # noqa: E402

SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


def write_images(folder: Path, count: int) -> list:
    """count JPEGs from skimage.data, every other one downscaled, so sizes vary."""
    import cv2
    import skimage.data

    paths = []
    for i in range(count):
        image = getattr(skimage.data, SOURCES[i % len(SOURCES)])()
        if i % 2:
            image = cv2.resize(image, (image.shape[1] * 3 // 4, image.shape[0] * 3 // 4))
        path = folder / f"img{i:04d}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def plain_loop(weights, paths, overrides) -> dict:
    """One job as a plain loop: build, then read + detect + record for every image."""
    from mrcnn_tf import COCO_CLASS_NAMES
    from mrcnn_tf.beam.images import decode_image
    from mrcnn_tf.model import MaskRCNN
    from mrcnn_tf.results import to_record

    start = time.perf_counter()
    model = MaskRCNN.from_weights(weights, IMAGES_PER_GPU=1, **overrides)
    model.detect([decode_image(paths[0].read_bytes())])  # first call: tracing
    ready = time.perf_counter()
    for path in paths:
        result = model.detect([decode_image(path.read_bytes())])[0]
        json.dumps(to_record(result, COCO_CLASS_NAMES, image=str(path)))
    end = time.perf_counter()
    return {"job": end - start, "steady": end - ready}


def pipeline_job(weights, folder, out, overrides, workers, batch_size) -> float:
    from mrcnn_tf.beam.pipeline import BeamDetectJob, run

    job = BeamDetectJob(str(folder / "*.jpg"), str(out), weights=str(weights),
                        config=overrides, batch_size=batch_size, num_shards=1)
    args = (["--direct_num_workers=1"] if workers == 1 else
            [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"])
    start = time.perf_counter()
    summary = run(job, args)
    elapsed = time.perf_counter() - start
    if summary.segmented != len(list(folder.glob("*.jpg"))):
        raise SystemExit(f"pipeline: {summary.line()}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--dim", type=int, default=256, help="IMAGE_MIN_DIM = IMAGE_MAX_DIM")
    parser.add_argument("--backbone", default="resnet50", choices=("resnet50", "resnet101"))
    parser.add_argument("--weights", help="a weights file (default: built from shared/parity)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="worker counts to time")
    args = parser.parse_args()

    print(machine_description())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = Path(args.weights) if args.weights else parity_weights(args.backbone, tmp)
        folder = tmp / "images"
        folder.mkdir()
        paths = write_images(folder, args.images)
        overrides = {"IMAGE_MIN_DIM": args.dim, "IMAGE_MAX_DIM": args.dim}
        n = len(paths)
        print(f"{n} images, {args.backbone} at {args.dim}x{args.dim}, batch size "
              f"{args.batch_size}, median of {args.repeats} runs")
        loops = [plain_loop(weights, paths, overrides) for _ in range(args.repeats)]
        loop_job = statistics.median(r["job"] for r in loops)
        loop_steady = statistics.median(r["steady"] for r in loops)
        print(f"detect() loop: job {loop_job:.1f} s ({n / loop_job:.2f} images/s), steady "
              f"{loop_steady / n:.2f} s/image ({n / loop_steady:.2f} images/s)")
        for workers in (int(w) for w in args.workers.split(",")):
            times = [pipeline_job(weights, folder, tmp / f"out{workers}_{r}/run", overrides,
                                  workers, args.batch_size) for r in range(args.repeats)]
            job = statistics.median(times)
            line = (f"pipeline, {workers} worker{'s' if workers > 1 else ''}: job {job:.1f} s "
                    f"({n / job:.2f} images/s)")
            if workers == 1:
                line += f", overhead {(job - loop_job) / n:+.2f} s/image over the loop's job"
            print(line, flush=True)


if __name__ == "__main__":
    main()
