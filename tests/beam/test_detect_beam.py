"""``mrcnn-tf detect-beam`` and ``merge-results`` end to end on the DirectRunner (in process):
a folder of 9 images and a corrupt file, ResNet-50 weights at 256 x 256."""
from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import re

import cv2
import pytest

from tests.helpers import require_extra

require_extra("apache_beam", "beam")

from mrcnn_tf.cli.main import main  # noqa: E402
from tests.beam.conftest import (BOMB, CORRUPT, DIM, MIN_SCORE,  # noqa: E402
                                 assert_same_detections, good_images, reference_results)

SHARDS = 2


def read_lines(pattern) -> list:
    return [json.loads(line) for path in sorted(glob.glob(pattern))
            for line in open(path, encoding="utf-8") if line.strip()]


@pytest.fixture(scope="module")
def beam_run(image_folder, r50_weights, tmp_path_factory):
    """One detect-beam run with --draw --extract and 2 shards; (prefix, exit status, stdout).
    One image a model call, so the results can be compared exactly with detect() on one
    image (batches round differently; test_model_handler checks batches)."""
    prefix = os.fspath(tmp_path_factory.mktemp("beam_out") / "run")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["detect-beam", "--input", os.fspath(image_folder / "**"), "--out", prefix,
                       "--weights", os.fspath(r50_weights), "--image-max-dim", str(DIM),
                       "--image-min-dim", str(DIM), "--min-score", str(MIN_SCORE), "--draw",
                       "--extract", "--batch-size", "1", "--num-shards", str(SHARDS),
                       "--runner", "DirectRunner"])
    return prefix, status, out.getvalue()


def test_every_good_image_has_detect_results(beam_run, image_folder, r50_weights):
    prefix, _, _ = beam_run
    records = read_lines(f"{prefix}-detections-*.jsonl")
    paths = good_images(image_folder)
    assert sorted(r["image"] for r in records) == paths  # each image once
    expected = reference_results(r50_weights, paths)
    for record in records:
        assert_same_detections(record, expected[record["image"]])
    assert sum(len(r["detections"]) for r in records) > 0, "no detections: nothing compared"
    assert all(d["score"] >= MIN_SCORE for r in records for d in r["detections"])


def test_corrupt_and_too_large_files_are_error_lines_and_the_job_goes_on(beam_run,
                                                                          image_folder):
    """The 400-megapixel header over garbage data gets the size message, not "corrupt": it
    was refused before decoding."""
    prefix, status, _ = beam_run
    errors = sorted(read_lines(f"{prefix}-errors-*.jsonl"), key=lambda e: e["image"])
    assert errors == [
        {"image": os.fspath(image_folder / BOMB),
         "error": "20000x20000 = 400 megapixels, more than the limit of 40 megapixels "
                  "(--max-pixels); not decoded"},
        {"image": os.fspath(image_folder / CORRUPT),
         "error": "not a readable image (corrupt, truncated or unsupported format)"}]
    assert status == 1  # some image failed


def test_shards_and_counter_line(beam_run):
    prefix, _, stdout = beam_run
    for kind in ("detections", "errors"):
        names = sorted(os.path.basename(p) for p in glob.glob(f"{prefix}-{kind}-*"))
        assert names == [f"run-{kind}-{i:05d}-of-{SHARDS:05d}.jsonl" for i in range(SHARDS)]
    assert re.search(r"11 images read, 9 segmented, 2 failed \(pipeline DONE\)", stdout), stdout


def test_annotated_pictures_and_cut_outs(beam_run, image_folder):
    prefix, _, _ = beam_run
    records = {r["image"]: r for r in read_lines(f"{prefix}-detections-*.jsonl")}
    for path, record in records.items():
        rel = os.path.relpath(path, image_folder)
        picture = cv2.imread(f"{prefix}-annotated/{rel}.png")
        assert picture is not None and picture.shape[:2] == (record["height"], record["width"])
        cut_outs = glob.glob(f"{prefix}-objects/{rel}/*.png")
        boxes = [d["box"] for d in record["detections"]]
        assert len(cut_outs) == sum(y2 > y1 and x2 > x1 for y1, x1, y2, x2 in boxes)


def test_merge_gives_a_file_coco_load_res_reads(beam_run, image_folder, tmp_path, capsys):
    from pycocotools.coco import COCO

    prefix, _, _ = beam_run
    out = tmp_path / "results.json"
    assert main(["merge-results", f"{prefix}-detections-*.jsonl", "--out", os.fspath(out)]) == 0
    image_ids = json.loads((tmp_path / "image_ids.json").read_text())
    paths = good_images(image_folder)
    assert image_ids == {path: i for i, path in enumerate(paths, start=1)}  # by sorted path
    records = {r["image"]: r for r in read_lines(f"{prefix}-detections-*.jsonl")}
    ground_truth = COCO()
    ground_truth.dataset = {
        "images": [{"id": image_ids[p], "height": records[p]["height"],
                    "width": records[p]["width"]} for p in paths],
        "categories": [{"id": i, "name": str(i)} for i in range(1, 91)], "annotations": []}
    ground_truth.createIndex()
    loaded = ground_truth.loadRes(os.fspath(out))
    detections = sum(len(r["detections"]) for r in records.values())
    assert len(loaded.getAnnIds()) == detections > 0
    for path in paths:
        anns = loaded.loadAnns(loaded.getAnnIds(imgIds=[image_ids[path]]))
        assert sorted(a["score"] for a in anns) == sorted(
            d["score"] for d in records[path]["detections"])
    assert "merge-results: 9 images" in capsys.readouterr().out
