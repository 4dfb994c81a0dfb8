"""mrcnn-tf detect end to end on real photos with the ResNet-50 test weights (small images
for speed: --image-max-dim 256, --min-score 0.3 so the seed-0 weights find objects)."""
from __future__ import annotations

import collections
import contextlib
import io
import json
import shutil

import cv2
import numpy as np
import pytest

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.cli.main import main
from mrcnn_tf.results import from_record, instance_map, rle_to_mask, semantic_map
from mrcnn_tf.visualize import colorize_labels, label_rects, style_for
from tests.helpers import REPO, skimage_image
from tests.pixel_bombs import png_bomb
from tests.visualize.conftest import box_bands

FAST = ["--min-score", "0.3", "--image-max-dim", "256", "--image-min-dim", "256"]


def run_cli(argv):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def first_run(r50_weights, tmp_path_factory):
    """coffee.jpg, a corrupt file and a 20000x20000 PNG header (pixel_bombs) in a/, a 16-bit
    grayscale coffee.png in b/."""
    root = tmp_path_factory.mktemp("detect")
    (root / "a").mkdir()
    (root / "b").mkdir()
    shutil.copy(REPO / "samples" / "images" / "coffee.jpg", root / "a" / "coffee.jpg")
    (root / "a" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    (root / "a" / "huge.png").write_bytes(png_bomb(20000, 20000))
    gray16 = skimage_image("chelsea")[..., 1].astype(np.uint16) * 257
    cv2.imwrite(str(root / "b" / "coffee.png"), gray16)
    out = root / "out"
    code, err = run_cli(["detect", str(root / "a"), str(root / "b" / "coffee.png"),
                         "--weights", str(r50_weights), "--out", str(out), "--extract",
                         "--splash", "--semantic", *FAST])
    return {"root": root, "out": out, "code": code, "err": err, "weights": r50_weights}


def record(run, stem):
    with open(run["out"] / f"{stem}.json") as f:
        return json.load(f)


def test_a_corrupt_file_gives_one_error_line_and_exit_status_1(first_run):
    assert first_run["code"] == 1
    lines = [line for line in first_run["err"].splitlines() if "broken.jpg" in line]
    assert len(lines) == 1 and "error" in lines[0] and "not a readable image" in lines[0]
    assert "Traceback" not in first_run["err"]


def test_an_image_above_max_pixels_is_skipped_with_one_line_naming_its_size(first_run):
    """Its header claims 400 megapixels over garbage pixel data: the size message (not
    "corrupt") shows it was refused before decoding; the run goes on and counts it failed."""
    lines = [line for line in first_run["err"].splitlines() if "huge.png" in line]
    assert len(lines) == 1, first_run["err"]
    assert lines[0].startswith("mrcnn-tf detect: error: ") and lines[0].endswith(
        "huge.png: 20000x20000 = 400 megapixels, more than the limit of 40 megapixels "
        "(--max-pixels); not decoded")
    assert not list(first_run["out"].glob("huge*"))
    assert (first_run["out"] / "coffee.json").exists()
    assert (first_run["out"] / "coffee_2.json").exists()
    assert "2 of 4 images processed" in first_run["err"] and "; 2 failed" in first_run["err"]
    assert first_run["code"] == 1


def test_max_pixels_option(first_run, tmp_path):
    """coffee.jpg is 600x400 = 240,000 pixels: refused under --max-pixels 0.1M."""
    out = tmp_path / "out"
    code, err = run_cli(["detect", str(first_run["root"] / "a" / "coffee.jpg"), "--weights",
                         str(first_run["weights"]), "--out", str(out), "--max-pixels", "0.1M",
                         *FAST])
    assert code == 1
    assert ("coffee.jpg: 600x400 = 0.24 megapixels, more than the limit of 0.1 megapixels "
            "(--max-pixels); not decoded") in err
    assert "0 of 1 images processed" in err and not list(out.glob("coffee*"))


def test_the_other_images_are_written_without_name_clashes(first_run):
    out = first_run["out"]
    names = sorted(p.name for p in out.iterdir())
    per_image = [".instances.png", ".json", ".png", ".semantic.png", ".semantic_preview.png",
                 ".splash.png"]
    assert names == sorted([f"coffee{s}" for s in per_image] + [f"coffee_2{s}" for s in per_image]
                           + ["coffee_2_objects", "coffee_objects", "detections.json",
                              "image_ids.json"])
    assert record(first_run, "coffee")["image"].endswith("a/coffee.jpg")
    assert record(first_run, "coffee_2")["image"].endswith("b/coffee.png")
    gray16 = cv2.imread(str(out / "coffee_2.png"))  # 16-bit grayscale in, 8-bit RGB out
    assert gray16.shape == (300, 451, 3) and gray16.dtype == np.uint8
    assert not list(out.rglob("*.partial.*"))


def test_records_have_the_documented_fields(first_run):
    rec = record(first_run, "coffee")
    photo = cv2.imread(str(first_run["root"] / "a" / "coffee.jpg"))
    assert (rec["height"], rec["width"]) == photo.shape[:2]
    assert rec["detections"], "the test weights find objects in coffee.jpg"
    for det in rec["detections"]:
        assert det["class_name"] == COCO_CLASS_NAMES[det["class_id"]]
        assert det["score"] >= 0.3
        y1, x1, y2, x2 = det["box"]
        assert det["bbox"] == [x1, y1, x2 - x1, y2 - y1]
        mask = rle_to_mask(det["rle"])
        assert mask.shape == photo.shape[:2] and mask.sum() == det["mask_area"]


def test_annotated_picture_differs_from_the_input_exactly_where_drawn(first_run):
    rec = record(first_run, "coffee")
    result = from_record(rec)
    photo = cv2.cvtColor(cv2.imread(str(first_run["root"] / "a" / "coffee.jpg")),
                         cv2.COLOR_BGR2RGB)
    drawn = cv2.cvtColor(cv2.imread(str(first_run["out"] / "coffee.png")), cv2.COLOR_BGR2RGB)
    assert drawn.shape == photo.shape
    style = style_for(photo.shape)
    masks = result["masks"].any(axis=2)
    region = masks | box_bands(result["rois"], photo.shape, style.line_width)
    for x, y, w, h in label_rects(result, COCO_CLASS_NAMES, photo.shape, style).values():
        region[y:y + h, x:x + w] = True
    changed = np.any(drawn != photo, axis=2)
    assert not (changed & ~region).any(), "pixels changed where nothing was drawn"
    assert (masks & ~changed).sum() <= 0.01 * masks.sum()


def test_splash_is_gray_outside_the_objects(first_run):
    result = from_record(record(first_run, "coffee"))
    splash = cv2.imread(str(first_run["out"] / "coffee.splash.png"))
    outside = ~result["masks"].any(axis=2)
    assert (splash[outside][:, 0] == splash[outside][:, 2]).all()


def test_semantic_maps_read_back_losslessly_as_the_records_say(first_run):
    for stem in ("coffee", "coffee_2"):
        result = from_record(record(first_run, stem))
        semantic = cv2.imread(str(first_run["out"] / f"{stem}.semantic.png"),
                              cv2.IMREAD_UNCHANGED)
        instances = cv2.imread(str(first_run["out"] / f"{stem}.instances.png"),
                               cv2.IMREAD_UNCHANGED)
        assert semantic.dtype == instances.dtype == np.uint8  # 81 classes, < 256 detections
        np.testing.assert_array_equal(semantic, semantic_map(result))
        np.testing.assert_array_equal(instances, instance_map(result))
        on = result["masks"].any(axis=2)
        np.testing.assert_array_equal(semantic > 0, on)
        assert set(np.unique(semantic[on])) == set(result["class_ids"][np.unique(
            instances[on]) - 1])
        preview = cv2.cvtColor(cv2.imread(str(first_run["out"] / f"{stem}.semantic_preview.png")),
                               cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(preview, colorize_labels(semantic))
    assert record(first_run, "coffee")["detections"], "the test weights find objects"


def test_cut_outs_have_the_mask_as_alpha(first_run):
    rec = record(first_run, "coffee")
    files = sorted((first_run["out"] / "coffee_objects").iterdir())
    assert len(files) == len(rec["detections"])
    photo = cv2.imread(str(first_run["root"] / "a" / "coffee.jpg"))
    for k, (path, det) in enumerate(zip(files, rec["detections"])):
        assert path.name == f"{k:03d}_{det['class_name'].replace(' ', '_')}.png"
        bgra = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        y1, x1, y2, x2 = det["box"]
        np.testing.assert_array_equal(bgra[..., 3] == 255, rle_to_mask(det["rle"])[y1:y2, x1:x2])
        np.testing.assert_array_equal(bgra[..., :3], photo[y1:y2, x1:x2])


def test_coco_results_and_image_ids(first_run):
    out = first_run["out"]
    image_ids = json.loads((out / "image_ids.json").read_text())
    assert len(image_ids) == 2 and len(set(image_ids.values())) == 2
    anns = json.loads((out / "detections.json").read_text())
    for stem in ("coffee", "coffee_2"):
        rec = record(first_run, stem)
        mine = [a for a in anns if a["image_id"] == image_ids[rec["image"]]]
        assert len(mine) == len(rec["detections"])
        for ann, det in zip(mine, rec["detections"]):
            assert ann["bbox"] == det["bbox"] and ann["segmentation"] == det["rle"]
    from pycocotools.coco import COCO

    gt = COCO()
    gt.dataset = {"images": [{"id": i} for i in image_ids.values()],
                  "categories": [{"id": a["category_id"]} for a in anns], "annotations": []}
    gt.createIndex()
    assert len(gt.loadRes(anns).getAnnIds()) == len(anns)


def test_classes_keeps_only_those_classes(first_run, tmp_path):
    counts = collections.Counter(d["class_name"] for d in record(first_run, "coffee")["detections"])
    target = min(counts, key=counts.get)  # the rarest class, so filtering removes others
    assert len(counts) > 1, "coffee.jpg should give more than one class to filter"
    out = tmp_path / "out"
    code, err = run_cli(["detect", str(first_run["root"] / "a" / "coffee.jpg"), "--weights",
                         str(first_run["weights"]), "--out", str(out), "--no-draw",
                         "--classes", target.upper(), *FAST])
    assert code == 0, err
    dets = json.loads((out / "coffee.json").read_text())["detections"]
    assert {d["class_name"] for d in dets} == {target}
    assert len(dets) == counts[target]
    assert not (out / "coffee.png").exists()


def test_unknown_class_stops_before_the_model_with_a_suggestion(first_run, tmp_path):
    code, err = run_cli(["detect", str(first_run["root"] / "a"), "--weights",
                         str(first_run["weights"]), "--out", str(tmp_path / "o"),
                         "--classes", "person,hair dryer"])
    assert code == 2
    assert err.strip().count("\n") == 0 and "did you mean 'hair drier'" in err


def test_missing_weights_file(tmp_path):
    code, err = run_cli(["detect", str(tmp_path), "--weights", str(tmp_path / "none.h5"),
                         "--out", str(tmp_path / "o")])
    assert code == 2 and "no such file" in err
