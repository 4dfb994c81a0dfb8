#!/usr/bin/env python3
"""Time ``mrcnn-tf serve``'s REST API against detect() in the same process.

    python scripts/benchmark_serve.py                       # ResNet-101 at 1024, 1 and 4 clients
    python scripts/benchmark_serve.py --weights mask_rcnn_coco.h5 --image photo.jpg

Runs the FastAPI app on uvicorn in this process (a free 127.0.0.1 port, no page), then for 1
and 4 concurrent clients POSTs the image to /v1/detect (multipart, RLE masks) and prints
requests/s and p50/p95 latency. The server's own overhead per request is the mean latency
with one client minus the mean time inside model.detect() for those requests (decoding,
HTTP, queueing, filtering, RLE and JSON); it is printed in ms and as a share of the model
time (the goal: under 5% at 1024 px). Without --weights, deterministic weights are built with
../shared/parity/make_weights.py. Run it on an idle machine: the figures are wall-clock.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from benchmark_detect import machine_description, parity_weights  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def multipart(name: str, data: bytes) -> tuple:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post(url: str, body: bytes, content_type: str) -> float:
    """Seconds for one POST (the answer read completely); raises on non-200."""
    start = time.perf_counter()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=600) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}")
    return time.perf_counter() - start


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def start_server(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", help="weights .h5 (default: parity weights, ResNet-101)")
    parser.add_argument("--backbone", default="resnet101", choices=("resnet50", "resnet101"),
                        help="backbone of the parity weights built without --weights")
    parser.add_argument("--image", default=str(REPO / "samples" / "images" / "cat.jpg"))
    parser.add_argument("--image-dim", type=int, default=1024, help="IMAGE_MAX_DIM")
    parser.add_argument("--requests", type=int, default=8,
                        help="requests per concurrency level (default 8)")
    parser.add_argument("--clients", default="1,4", help="concurrency levels (default 1,4)")
    parser.add_argument("--max-batch", type=int, default=1, help="the service's max_batch")
    args = parser.parse_args(argv)

    import cv2

    import mrcnn_tf
    from mrcnn_tf.serve import ModelService, ServeSettings, create_app

    print(f"machine: {machine_description()}")
    weights = Path(args.weights) if args.weights else parity_weights(
        args.backbone, Path(tempfile.mkdtemp(prefix="benchmark_serve_")))
    model = mrcnn_tf.MaskRCNN.from_weights(weights, IMAGES_PER_GPU=1,
                                           IMAGE_MAX_DIM=args.image_dim,
                                           IMAGE_MIN_DIM=min(800, args.image_dim))
    data = Path(args.image).read_bytes()
    image = cv2.cvtColor(cv2.imread(args.image), cv2.COLOR_BGR2RGB)
    model.detect([image])  # build the graph
    direct = []
    for _ in range(3):
        start = time.perf_counter()
        result = model.detect([image])[0]
        direct.append(time.perf_counter() - start)
    model_time = statistics.median(direct)
    print(f"model: {weights.name} ({model.config.BACKBONE}), {args.image}: "
          f"{image.shape[1]}x{image.shape[0]} -> {args.image_dim} px, "
          f"{len(result['scores'])} detections; in-process detect(): median "
          f"{model_time * 1000:.0f} ms of {len(direct)}")

    service = ModelService(model, max_batch=args.max_batch)
    app = create_app(service, ServeSettings(class_names=mrcnn_tf.COCO_CLASS_NAMES,
                                            weights=str(weights), timeout=3600), page=False)
    service.wait_ready()
    port = free_port()
    server, thread = start_server(app, port)
    url = f"http://127.0.0.1:{port}/v1/detect"
    body, content_type = multipart(Path(args.image).name, data)
    post(url, body, content_type)  # first request: connection and code paths warm
    try:
        for clients in (int(c) for c in args.clients.split(",")):
            calls, seconds = service.stats.calls, service.stats.model_seconds
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                latencies = list(pool.map(lambda _: post(url, body, content_type),
                                          range(args.requests)))
            wall = time.perf_counter() - start
            in_model = (service.stats.model_seconds - seconds) / max(
                1, service.stats.calls - calls)
            line = (f"{clients} client{'s' if clients > 1 else ''}: {args.requests} requests, "
                    f"{args.requests / wall:.3f} requests/s, latency p50 "
                    f"{percentile(latencies, 0.5) * 1000:.0f} ms, p95 "
                    f"{percentile(latencies, 0.95) * 1000:.0f} ms; model.detect() "
                    f"{in_model * 1000:.0f} ms a call")
            if clients == 1:
                overhead = statistics.mean(latencies) - in_model
                line += (f"; server overhead {overhead * 1000:.0f} ms a request = "
                         f"{100 * overhead / in_model:.1f}% of the model time")
            print(line, flush=True)
    finally:
        server.should_exit = True
        thread.join(30)
        service.close(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
