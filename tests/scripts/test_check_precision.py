"""scripts/check_precision.py runs end to end and reports both runs' mAP, the agreement and
the times. On random weights the bfloat16 verdict itself means nothing (not asserted); float32
against itself must agree in full, and the other fast options are named in the report."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import REPO


def _check_precision(weights, *options):
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check_precision.py"), str(weights),
         "--limit", "2", "--image-dim", "128", "--min-confidence", "0.3", *options],
        capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done


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
