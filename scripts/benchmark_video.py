"""Video throughput and memory: frames/s of process_video on a 640x360 video.

    python3 scripts/benchmark_video.py [--frames 40] [--repeats 3] [--memory-frames 1200]
                                       [--backbones resnet50,resnet101] [--dims 512,1024]
                                       [--modes exact,fast]

For ResNet-50 and ResNet-101 at IMAGE_MAX_DIM 512 and 1024, exact (float32) and fast
(Config.fast_mode, as ``--fast`` on the command line), it prints frames/s of the whole
run, frames/s of the model alone, and the share of wall time spent outside the model
(decoding, drawing, encoding, tracking, JSON), whose target is <= 10%. process_video picks
its batch size by timing the first calls; a first run settles it, then ``--repeats`` runs
with that batch size are timed and their medians printed (the machine is printed first).
Then it runs
``--memory-frames`` (>= 1,000) frames through the pipeline (model on every
``--memory-every``-th frame) and prints the resident memory at the start and the end, which
should stay flat.

Weights: deterministic random weights in matterport's layout made by
../shared/parity/make_weights.py (or $MRCNN_TF_PARITY_DIR), unless --r50/--r101 name real
files (e.g. mask_rcnn_coco.h5 for ResNet-101). Random weights find other objects than real
ones, so the detections per frame (which drawing and mask pasting depend on) are printed.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import skimage.data  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import mrcnn_tf  # noqa: E402
from mrcnn_tf.config import Config  # noqa: E402
from mrcnn_tf.video import process_video, read_jsonl  # noqa: E402

sys.path.insert(0, str(REPO / "scripts"))
from benchmark_detect import machine_description  # noqa: E402

PARITY_DIR = Path(os.environ.get("MRCNN_TF_PARITY_DIR", REPO.parent / "shared" / "parity"))
MANIFESTS = {"resnet50": "manifest_r50.json", "resnet101": "manifest_r101.json"}
SIZE = (640, 360)
FPS = 25
TARGET_OUTSIDE_SHARE = 0.10
FLAT_GROWTH_MB = 32  # RSS growth (25% of the run -> end) above which memory is not "flat"


def make_weights(backbone: str, folder: Path) -> Path:
    """matterport-layout weights (seed 0) written by the parity fixtures' make_weights.py."""
    out = folder / f"{backbone}.h5"
    spec = importlib.util.spec_from_file_location("make_weights", PARITY_DIR / "make_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(PARITY_DIR / MANIFESTS[backbone]) as f:
        module.write(json.load(f), str(out), 0)
    return out


def make_video(path: Path, frames: int) -> Path:
    """A 640x360 clip panning across two skimage photos (astronaut, coffee), mp4v."""
    strip = np.concatenate([cv2.resize(skimage.data.astronaut(), (540, 540)),
                            cv2.resize(skimage.data.coffee(), (810, 540))], axis=1)
    strip = cv2.cvtColor(strip, cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    span = strip.shape[1] - SIZE[0]
    for i in range(frames):
        x = int(span * (0.5 - 0.5 * np.cos(2 * np.pi * i / 200)))  # back and forth
        writer.write(np.ascontiguousarray(strip[90:90 + SIZE[1], x:x + SIZE[0]]))
    writer.release()
    return path


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_model(backbone: str, max_dim: int, weights: Path, min_confidence: float,
                mode: str = "exact"):
    """mode: "exact" (float32, matterport's numbers) or "fast" (Config.fast_mode)."""
    fast = Config.fast_mode if mode == "fast" else {}
    config = mrcnn_tf.CocoConfig(BACKBONE=backbone, IMAGES_PER_GPU=1, IMAGE_MAX_DIM=max_dim,
                                 IMAGE_MIN_DIM=min(800, max_dim),
                                 DETECTION_MIN_CONFIDENCE=min_confidence, **fast)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(weights)
    model.detect([np.zeros((SIZE[1], SIZE[0], 3), np.uint8)])  # trace the graph once
    return model


def _timed_run(model, video: Path, frames: int, folder: Path, batch_size) -> dict:
    jsonl = folder / "bench.jsonl"
    summary = process_video(model, video, folder / "bench.mp4", jsonl=jsonl,
                            class_names=mrcnn_tf.COCO_CLASS_NAMES, end=frames / FPS,
                            batch_size=batch_size, progress=False, overwrite=True)
    detections = [len(r["detections"]) for r in read_jsonl(jsonl)]
    return {"fps": summary.speed, "model_fps": summary.frames_processed / summary.model_seconds,
            "outside": summary.outside_model_share, "writer": summary.writer_seconds,
            "seconds": summary.seconds, "dets": float(np.mean(detections)),
            "batch": summary.batch_size}


def throughput(model, video: Path, frames: int, folder: Path, repeats: int) -> dict:
    """Medians of ``repeats`` runs at the batch size a first (untimed) run settled on."""
    batch = _timed_run(model, video, frames, folder, None)["batch"]
    runs = [_timed_run(model, video, frames, folder, batch) for _ in range(repeats)]
    return {key: float(np.median([r[key] for r in runs])) for key in runs[0]} | {"batch": batch}


def memory_run(model, video: Path, frames: int, every: int, folder: Path) -> None:
    """RSS before the run and along it (sampled every 0.5 s). Memory is "flat" when it grows
    by less than FLAT_GROWTH_MB from a quarter of the run (queues, batch buffers and the
    model's working memory are filled by then) to its end."""
    samples, done = [], threading.Event()

    def sample():
        while not done.wait(0.5):
            samples.append(rss_mb())

    before = rss_mb()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    summary = process_video(model, video, folder / "memory.mp4", jsonl=folder / "memory.jsonl",
                            class_names=mrcnn_tf.COCO_CLASS_NAMES, every=every,
                            progress=True, overwrite=True)
    done.set()
    thread.join()
    samples.append(rss_mb())
    at = {share: samples[min(len(samples) - 1, int(share * len(samples)))]
          for share in (0.1, 0.25, 0.5, 0.75)}
    growth = samples[-1] - at[0.25]
    print(f"\nmemory over {summary.frames_written} frames (model on every {every}-th): "
          f"RSS before {before:.0f} MB; at 10% {at[0.1]:.0f}, 25% {at[0.25]:.0f}, 50% "
          f"{at[0.5]:.0f}, 75% {at[0.75]:.0f} MB; end {samples[-1]:.0f} MB; peak "
          f"{max(samples):.0f} MB; growth from 25% to the end {growth:+.0f} MB -> "
          f"{'flat' if growth < FLAT_GROWTH_MB else 'GROWING'}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40, help="frames timed per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per model (median)")
    parser.add_argument("--backbones", default="resnet50,resnet101")
    parser.add_argument("--dims", default="512,1024", help="IMAGE_MAX_DIM values")
    parser.add_argument("--modes", default="exact,fast",
                        help="exact (float32) and/or fast (Config.fast_mode: bfloat16 "
                             "where the CPU has it natively, heads too, fit64, OpenCV resize)")
    parser.add_argument("--memory-frames", type=int, default=1200, help="0 to skip")
    parser.add_argument("--memory-every", type=int, default=25)
    parser.add_argument("--min-confidence", type=float, default=0.7,
                        help="DETECTION_MIN_CONFIDENCE (lower it to draw more objects with "
                             "random weights)")
    parser.add_argument("--r50", type=Path, help="ResNet-50 weights file (default: random)")
    parser.add_argument("--r101", type=Path, help="ResNet-101 weights file (default: random)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = make_video(folder / "input.mp4", max(args.frames, args.memory_frames))
        given = {"resnet50": args.r50, "resnet101": args.r101}
        memory_model = None
        print(machine_description())
        print(f"{SIZE[0]}x{SIZE[1]} video at {FPS} fps, {args.frames} frames per run, median "
              f"of {args.repeats} runs, DETECTION_MIN_CONFIDENCE {args.min_confidence}\n")
        print(f"{'backbone':10} {'max_dim':>7} {'mode':>13} {'frames/s':>9} {'model f/s':>10} "
              f"{'outside model':>14} {'writer s':>9} {'dets/frame':>11} {'batch':>6}")
        for backbone in args.backbones.split(","):
            weights = given[backbone] or make_weights(backbone, folder)
            for dim, mode in ((int(d), m) for d in args.dims.split(",")
                              for m in args.modes.split(",")):
                model = build_model(backbone, dim, weights, args.min_confidence, mode)
                r = throughput(model, video, args.frames, folder, args.repeats)
                flag = "ok" if r["outside"] <= TARGET_OUTSIDE_SHARE else "over 10%"
                label = f"{mode} {model.compute_dtype}" if mode == "fast" else mode
                print(f"{backbone:10} {dim:7d} {label:>13} {r['fps']:9.2f} {r['model_fps']:10.2f} "
                      f"{r['outside']:10.1%} {flag:>3} {r['writer']:9.1f} {r['dets']:11.1f} "
                      f"{r['batch']:6d}", flush=True)
                if (args.memory_frames and backbone == "resnet50" and dim == 512
                        and memory_model is None):
                    memory_model = model
        if args.memory_frames:
            if args.memory_frames < 1000:
                print("note: memory is meant to be checked over at least 1,000 frames")
            if memory_model is None:
                memory_model = build_model("resnet50", 512, given["resnet50"]
                                           or make_weights("resnet50", folder),
                                           args.min_confidence)
            memory_run(memory_model, video, args.memory_frames, args.memory_every, folder)


if __name__ == "__main__":
    main()
