"""scripts/check_precision.py runs end to end and reports both runs' mAP, the agreement and
the times. On random weights the bfloat16 verdict itself means nothing (not asserted); float32
against itself must agree in full, and the other fast options are named in the report. Every
judged run had float32 detections to judge by; a run without any cannot pass."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import REPO


def _run_script(weights, *options, min_confidence="0.3"):
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check_precision.py"), str(weights),
         "--limit", "2", "--image-dim", "128", "--min-confidence", min_confidence, *options],
        capture_output=True, text=True, timeout=900)


def _check_precision(weights, *options):
    """A judged run (PASS or FAIL) whose float32 run detected something."""
    done = _run_script(weights, *options)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-3000:]
    counts = re.search(r"agreement: .* \((\d+) of (\d+) / (\d+)\)", done.stdout)
    assert counts, done.stdout
    assert int(counts.group(2)) > 0, "float32 detected nothing: the verdict judged nothing"
    return done


def _fast_config(out: str) -> dict:
    """The report's 'fast model Config:' line as {field: value text}."""
    line = next((x for x in out.splitlines() if x.startswith("fast model Config: ")), None)
    assert line, out
    fields = line.removeprefix("fast model Config: ").split(", ")
    return dict(field.split("=", 1) for field in fields)


def test_check_precision_reports_map_agreement_and_speed(r50_weights):
    done = _check_precision(r50_weights)
    out = done.stdout
    assert re.search(r"mask mAP@0\.5: float32 \d\.\d{3}, bfloat16 \(square\) \d\.\d{3}", out), out
    recall = re.search(r"agreement: recall (\d\.\d{3}), precision (\d\.\d{3})", out)
    assert recall and all(0 <= float(v) <= 1 for v in recall.groups()), out
    assert "detect() median: float32" in out and "flags:" in out
    assert out.strip().splitlines()[-1] == ("PASS" if done.returncode == 0 else
                                            "FAIL: the fast mode does not give float32's "
                                            "answers here")


def test_float32_against_itself_agrees_in_full(r50_weights):
    """The same Config twice: every detection matched, mask IoU 1, mAPs equal, PASS."""
    done = _check_precision(r50_weights, "--precision", "float32")
    out = done.stdout
    assert done.returncode == 0 and out.strip().splitlines()[-1] == "PASS", out
    assert re.search(r"agreement: recall 1\.000, precision 1\.000 \((\d+) of \1 / \1\), "
                     r"mean mask IoU 1\.000", out), out
    assert "(difference 0.000," in out


def test_the_fast_options_are_run_and_named(r50_weights):
    done = _check_precision(r50_weights, "--precision", "float32", "--mode", "fit64",
                            "--resize-library", "opencv", "--low-precision-heads",
                            "--fold-batch-norm")
    assert ("float32 (fit64, heads too, OpenCV resize, BatchNorm folded) against float32 "
            "(square)") in done.stdout
    assert _fast_config(done.stdout) == {
        "COMPUTE_DTYPE": "float32", "IMAGE_RESIZE_MODE": "fit64", "LOW_PRECISION_HEADS": "True",
        "RESIZE_LIBRARY": "opencv", "FOLD_BATCH_NORM": "True", "DETECTION_MIN_CONFIDENCE": "0.3",
        "IMAGE_MIN_DIM": "128", "IMAGE_MAX_DIM": "128"}


def test_the_header_names_the_fast_models_config_and_set_fields(r50_weights):
    """The default fast run (bfloat16, square) and a --set field, as the built model has them."""
    done = _check_precision(r50_weights, "--set", "DETECTION_NMS_THRESHOLD=0.4")
    assert _fast_config(done.stdout) == {
        "COMPUTE_DTYPE": "bfloat16", "IMAGE_RESIZE_MODE": "square",
        "LOW_PRECISION_HEADS": "False", "RESIZE_LIBRARY": "skimage", "FOLD_BATCH_NORM": "False",
        "DETECTION_MIN_CONFIDENCE": "0.3", "IMAGE_MIN_DIM": "128", "IMAGE_MAX_DIM": "128",
        "DETECTION_NMS_THRESHOLD": "0.4"}


def test_a_run_without_float32_detections_cannot_pass(r50_weights):
    """No score reaches 1.0 on random weights: nothing to judge by, so no PASS, one line
    saying why, and exit status 3 (not 0 or 1)."""
    done = _run_script(r50_weights, "--precision", "float32", min_confidence="1.0")
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-3000:]
    assert lines[-1].startswith("CANNOT JUDGE: float32 detected nothing on these 2 images"), \
        done.stdout
    assert "PASS" not in done.stdout and "FAIL" not in done.stdout
    assert _fast_config(done.stdout)["DETECTION_MIN_CONFIDENCE"] == "1.0"


def test_shapes_size_sets_the_held_out_images(r50_weights):
    """Non-square shapes (where fit64 molds 64x128, square 128x128) are what the run uses."""
    done = _check_precision(r50_weights, "--precision", "float32", "--mode", "fit64",
                            "--shapes-size", "64x128")
    assert "2 images of 64x128, float32 (fit64) against float32 (square)" in done.stdout, \
        done.stdout


def test_a_bad_shapes_size_is_a_one_line_error(r50_weights):
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check_precision.py"), str(r50_weights),
         "--shapes-size", "30x128"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "argument --shapes-size: '30x128' is not HEIGHTxWIDTH" in done.stderr, done.stderr
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check_precision.py"), str(r50_weights),
         "--shapes-size", "64x128", "--coco-annotations", "a.json", "--images", "."],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--shapes-size is for the shapes, not --coco-annotations" \
        in done.stderr, done.stderr


def test_reference_mode_sets_the_float32_run(r50_weights):
    """float32 fit64 against float32 fit64: the same Config twice, so agreement in full."""
    done = _check_precision(r50_weights, "--precision", "float32", "--mode", "fit64",
                            "--reference-mode", "fit64", "--shapes-size", "64x128")
    out = done.stdout
    assert "float32 (fit64) against float32 (fit64)" in out, out
    assert done.returncode == 0 and re.search(
        r"agreement: recall 1\.000, precision 1\.000 \((\d+) of \1 / \1\)", out), out
