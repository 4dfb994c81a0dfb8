"""Training throughput of `mrcnn-tf train`: images per second for one process and for two
worker processes on this machine (MultiWorkerMirroredStrategy over 127.0.0.1), the same
global batch, on the shapes sample data (make_coco) with the shapes recipe
(samples/shapes/train_config.yaml).

    python3 scripts/benchmark_training.py [--steps 30] [--global-batch 4] [--image-size 128]

Images per second = global batch / the median time of a step (the first epoch, which traces
the graph, is not counted: two epochs are run and the second's steps are timed).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def command(data, out, batch, args):
    return [sys.executable, "-m", "mrcnn_tf.cli.main", "train", "--data", data, "--weights",
            "none", "--image-size", str(args.image_size), "--batch-size", str(batch),
            "--steps-per-epoch", str(args.steps), "--epochs", "2", "--config",
            str(REPO / "samples" / "shapes" / "train_config.yaml"), "--out", str(out),
            "--quiet", "--lr-drops", "none", "--lr", "0.001"]


def env(tf_config=None):
    values = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    values.update(PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    if tf_config:
        values["TF_CONFIG"] = json.dumps(tf_config)
    return values


def second_epoch_step(out) -> float:
    with open(out / "step_times.json") as f:
        times = json.load(f)
    second = sorted(times[len(times) // 2:])
    return second[len(second) // 2]


def run_single(data, root, args) -> float:
    out = root / "single"
    subprocess.run(command(data, out, args.global_batch, args), cwd=REPO, env=env(),
                   check=True, timeout=3600, stdout=subprocess.DEVNULL)
    return second_epoch_step(out)


def run_two_workers(data, root, args) -> float:
    out = root / "cluster"
    cluster = {"worker": [f"127.0.0.1:{p}" for p in free_ports(2)]}
    procs = [subprocess.Popen(command(data, out, args.global_batch // 2, args), cwd=REPO,
                              env=env({"cluster": cluster,
                                       "task": {"type": "worker", "index": i}}),
                              stdout=subprocess.DEVNULL)
             for i in range(2)]
    end = time.monotonic() + 3600
    for p in procs:
        if p.wait(timeout=max(1, end - time.monotonic())) != 0:
            raise SystemExit("a worker failed")
    return second_epoch_step(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="steps an epoch (two epochs)")
    parser.add_argument("--global-batch", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=128)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "samples" / "shapes"))
    from make_coco import write_coco

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_coco(root / "data", 200, size=args.image_size, seed=0, name="train")
        data = f"{root / 'data' / 'train.json'}:{root / 'data' / 'train'}"
        one = run_single(data, root, args)
        two = run_two_workers(data, root, args)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores; global batch {args.global_batch}, "
          f"{args.image_size}x{args.image_size}, shapes recipe, median step of epoch 2 "
          f"({args.steps} steps)")
    print(f"1 process:   {one:.3f} s a step, {args.global_batch / one:.2f} images/s")
    print(f"2 workers:   {two:.3f} s a step, {args.global_batch / two:.2f} images/s")


if __name__ == "__main__":
    main()
