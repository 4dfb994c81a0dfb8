#!/usr/bin/env python3
"""Time one model on every runtime: TensorFlow float32 (MaskRCNN.detect), TensorFlow --fast,
and the portable graph exported to ONNX (onnxruntime), OpenVINO IR (float32, and bfloat16 where
the CPU has AVX512-BF16 or AMX; INT8 quantized by NNCF from the same IR, default calibration)
and LiteRT, on the same images; median of steady calls (the first call of each is a warm-up
and not counted), one image per call, molding and unmolding included. Each runtime's detections
are checked against detect()'s with the parity criterion (evaluation.agreement) and the verdict
printed beside its time.

    python3 scripts/benchmark_runtimes.py                      # parity weights, R101 1024
    python3 scripts/benchmark_runtimes.py --weights W.h5 --size 512 --formats onnx openvino

matterport's own time comes from scripts/benchmark_matterport.py (its own environment); run it
on the same machine and put it beside these figures.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark_detect import machine_description, parity_weights  # noqa: E402

IMAGES = ("astronaut", "coffee", "chelsea")


def skimage_image(name):
    import numpy as np
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return image[..., :3]


def cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def time_calls(detect, images, repeats):
    detect([images[0]])  # warm-up
    times, results = [], []
    for _ in range(repeats):
        for image in images:
            start = time.perf_counter()
            result = detect([image])[0]
            times.append(time.perf_counter() - start)
            results.append(result)
    return statistics.median(times), results[:len(images)]


def int8_row(openvino_path, work, images, repeats, verdict):
    """("openvino int8", median, verdicts) for the float32 IR at openvino_path quantized by
    NNCF on the default calibration set (export.quantize), timed whatever the gate says: the
    note gives both its agreement with detect() and the gate's verdict (INT8 vs float32 IR)."""
    import os

    from mrcnn_tf import runtime
    from mrcnn_tf.export.quantize import (agreements, default_calibration_images, verdict as
                                          gate_verdict, write_quantized)

    float_folder = str(openvino_path)  # the export's folder, or its model.xml
    if not os.path.isdir(float_folder):
        float_folder = os.path.dirname(float_folder)
    openvino_path = os.path.join(float_folder, "model.xml")
    folder = work / "openvino_int8"
    folder.mkdir(exist_ok=True)
    calibration = default_calibration_images()
    start = time.perf_counter()
    write_quantized(float_folder, folder, calibration)
    print(f"openvino int8: {folder} ({time.perf_counter() - start:.0f} s, "
          f"{len(calibration)} calibration images)")
    gate = gate_verdict(agreements(openvino_path, str(folder / "model.xml"),
                                   [(f"image{i}", image) for i, image in enumerate(images)]))
    median, results = time_calls(runtime.load(folder).detect, images, repeats)
    gate = gate.split(" (")[0].replace("INT8 ", "").replace("float32", "OpenVINO float32")
    return "openvino int8", median, f"{verdict(results)}; {gate}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="weights file (default: the parity ResNet-101 weights, "
                                          "made with ../shared/parity/make_weights.py)")
    parser.add_argument("--size", type=int, default=1024, help="IMAGE_MAX_DIM (default 1024)")
    parser.add_argument("--min-score", type=float, default=0.7)
    parser.add_argument("--formats", nargs="+", default=["onnx", "openvino", "litert"])
    parser.add_argument("--repeats", type=int, default=3, help="passes over the images")
    parser.add_argument("--no-fast", action="store_true", help="skip TensorFlow --fast")
    parser.add_argument("--no-int8", action="store_true",
                        help="skip OpenVINO INT8 (NNCF, needs nncf: extra [openvino])")
    parser.add_argument("--exports", metavar="DIR",
                        help="use DIR/onnx, DIR/openvino, DIR/litert exported before from the "
                             "same weights and size instead of exporting again")
    args = parser.parse_args()

    import mrcnn_tf
    from mrcnn_tf import runtime
    from mrcnn_tf.evaluation.agreement import compare_detections
    from mrcnn_tf.export.portable import export_portable, openvino_from_onnx
    from mrcnn_tf.families import family_for
    from mrcnn_tf.runtime.model import ExportFiles

    print(machine_description())
    work = Path(tempfile.mkdtemp(prefix="benchmark_runtimes-"))
    weights = args.weights or parity_weights("resnet101", work)
    overrides = dict(IMAGE_MAX_DIM=args.size, IMAGE_MIN_DIM=min(800, args.size),
                     DETECTION_MIN_CONFIDENCE=args.min_score)
    model = mrcnn_tf.MaskRCNN.from_weights(weights, **overrides)
    images = [skimage_image(name) for name in IMAGES]
    rows = []

    median, reference = time_calls(model.detect, images, args.repeats)
    rows.append(("TensorFlow float32 (detect)", median, "reference"))

    def verdict(results):
        passed = [compare_detections(ref, ours, image.shape[:2]).passes()
                  for ref, ours, image in zip(reference, results, images)]
        return f"agrees on {sum(passed)}/{len(passed)} images"

    if not args.no_fast:
        fast = mrcnn_tf.MaskRCNN.from_weights(
            weights, **overrides, **family_for(model.config).fast_mode)
        median, results = time_calls(fast.detect, images, args.repeats)
        rows.append(("TensorFlow --fast", median, verdict(results)))
        del fast

    exported = {}
    for fmt in args.formats:
        start = time.perf_counter()
        if args.exports and (Path(args.exports) / fmt).is_dir():  # the folder's model file
            path = ExportFiles(Path(args.exports) / fmt).path
        elif fmt == "openvino" and "onnx" in exported:
            path = openvino_from_onnx(exported["onnx"], work / fmt)
        else:
            path = export_portable(model, work / fmt, fmt)
        exported[fmt] = path
        print(f"{fmt}: {path} ({time.perf_counter() - start:.0f} s)")
        variants = [("float32", None)]
        if fmt == "openvino" and cpu_has_bf16():
            variants.append(("bfloat16", "bf16"))
        for label, precision in variants:
            loaded = runtime.load(path, precision=precision)
            median, results = time_calls(loaded.detect, images, args.repeats)
            rows.append((f"{fmt} {label}", median, verdict(results)))
        if fmt == "openvino" and not args.no_int8:
            rows.append(int8_row(path, work, images, args.repeats, verdict))

    config = model.config
    print(f"\n{config.ARCHITECTURE} {getattr(config, 'BACKBONE', '')}, IMAGE_MAX_DIM "
          f"{config.IMAGE_MAX_DIM}, {len(images)} images x {args.repeats}, median per image:")
    base = rows[0][1]
    for name, median, note in rows:
        print(f"  {name:30s} {median:7.3f} s  {base / median:5.2f}x TF  {note}")


if __name__ == "__main__":
    main()
