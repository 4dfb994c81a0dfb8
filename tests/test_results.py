"""results: RLE, polygons, COCO results format and the per-image record, both ways."""
from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mrcnn_tf import results
from mrcnn_tf.class_names import COCO_CLASS_NAMES
from tests.visualize.conftest import make_result

H, W = 300, 451


@pytest.fixture
def result():
    return make_result(H, W)


def assert_same_result(a, b):
    np.testing.assert_array_equal(a["rois"], b["rois"])
    np.testing.assert_array_equal(a["class_ids"], b["class_ids"])
    np.testing.assert_allclose(a["scores"], b["scores"], rtol=1e-6)
    np.testing.assert_array_equal(a["masks"], b["masks"])


def test_rle_round_trips_to_the_same_mask(result):
    rng = np.random.default_rng(0)
    masks = [result["masks"][:, :, i] for i in range(3)] + [
        rng.random((H, W)) < 0.3, np.zeros((H, W), bool), np.ones((H, W), bool)]
    for mask in masks:
        rle = results.mask_to_rle(mask)
        assert rle["size"] == [H, W] and isinstance(rle["counts"], str)
        json.dumps(rle)
        np.testing.assert_array_equal(results.rle_to_mask(rle), mask)
        encoded = {"size": rle["size"], "counts": rle["counts"].encode()}
        assert mask_utils.area(encoded) == mask.sum()


def test_uncompressed_rle_is_read():
    mask = np.zeros((4, 3), bool)
    mask[1:3, 1] = True  # column-major runs: 5 off, 2 on, 5 off
    np.testing.assert_array_equal(results.rle_to_mask({"size": [4, 3], "counts": [5, 2, 5]}),
                                  mask)


def test_coco_results_have_xywh_boxes_coco_category_ids_and_decodable_masks(result):
    anns = results.to_coco(result, 42, COCO_CLASS_NAMES)
    json.dumps(anns)
    assert [a["category_id"] for a in anns] == [17, 1, 1]  # COCO ids of cat, person
    for i, ann in enumerate(anns):
        y1, x1, y2, x2 = result["rois"][i]
        assert ann["image_id"] == 42
        assert ann["bbox"] == [x1, y1, x2 - x1, y2 - y1]
        assert ann["score"] == pytest.approx(float(result["scores"][i]))
        np.testing.assert_array_equal(results.rle_to_mask(ann["segmentation"]),
                                      result["masks"][:, :, i])


def test_other_class_lists_use_class_ids_as_categories(result):
    names = ["BG"] + [f"thing{i}" for i in range(1, 20)]
    anns = results.to_coco(result, 1, names)
    assert [a["category_id"] for a in anns] == [16, 1, 1]
    assert_same_result(results.from_coco(anns, class_names=names), result)


def test_from_coco_inverts_to_coco(result, tmp_path):
    anns = results.to_coco(result, 7, COCO_CLASS_NAMES)
    anns += results.to_coco(make_result(H, W), 8, COCO_CLASS_NAMES)
    path = tmp_path / "detections.json"
    path.write_text(json.dumps(anns))
    assert_same_result(results.from_coco(path, image_id=7), result)
    empty = results.from_coco(anns, image_id=9, height=H, width=W)
    assert empty["masks"].shape == (H, W, 0) and empty["rois"].shape == (0, 4)


def test_coco_eval_reads_our_results(result):
    """Detections equal to the ground truth score AP 1.0 with pycocotools' own evaluation."""
    anns = results.to_coco(result, 1, COCO_CLASS_NAMES)
    gt = COCO()
    gt.dataset = {
        "images": [{"id": 1, "height": H, "width": W}],
        "categories": [{"id": 17, "name": "cat"}, {"id": 1, "name": "person"}],
        "annotations": [dict(a, id=i + 1, iscrowd=0, area=int(mask_utils.area(
            {"size": a["segmentation"]["size"], "counts": a["segmentation"]["counts"].encode()})))
            for i, a in enumerate(anns)]}
    gt.createIndex()
    evaluation = COCOeval(gt, gt.loadRes(anns), "segm")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[0] == pytest.approx(1.0)


def test_polygons_and_back_for_masks_without_holes(result):
    for i in range(3):
        mask = result["masks"][:, :, i]
        polys = results.polygons(mask)
        assert polys and all(len(p) >= 6 and len(p) % 2 == 0 for p in polys)
        np.testing.assert_array_equal(results.mask_from_polygons(polys, H, W), mask)


def test_polygon_of_a_rectangle_is_its_corners():
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:9] = True
    (poly,) = results.polygons(mask)
    corners = {tuple(p) for p in np.reshape(poly, (-1, 2))}
    assert corners == {(3, 2), (3, 4), (8, 4), (8, 2)}


def test_polygons_drop_holes_and_slivers():
    mask = np.zeros((20, 20), bool)
    mask[2:12, 2:12] = True
    mask[5:8, 5:8] = False  # a hole: polygons cannot represent it
    mask[15, 15] = True  # one pixel: fewer than 3 points
    polys = results.polygons(mask)
    assert len(polys) == 1
    filled = mask.copy()
    filled[5:8, 5:8] = True
    filled[15, 15] = False
    np.testing.assert_array_equal(results.mask_from_polygons(polys, 20, 20), filled)


def test_record_has_the_documented_fields_and_round_trips(result, tmp_path):
    record = results.to_record(result, COCO_CLASS_NAMES, image="photos/chelsea.jpg", image_id=3)
    assert (record["image"], record["image_id"], record["height"], record["width"]) == (
        "photos/chelsea.jpg", 3, H, W)
    first = record["detections"][0]
    assert set(first) == {"class_id", "class_name", "score", "box", "bbox", "mask_area", "rle"}
    assert (first["class_id"], first["class_name"]) == (16, "cat")
    y1, x1, y2, x2 = first["box"]
    assert first["bbox"] == [x1, y1, x2 - x1, y2 - y1]
    assert first["mask_area"] == int(result["masks"][:, :, 0].sum())
    path = tmp_path / "chelsea.json"
    path.write_text(json.dumps(record))
    assert_same_result(results.from_record(path), result)


def test_empty_record_round_trips():
    record = results.to_record(results.empty_result(5, 7), COCO_CLASS_NAMES, image="x.png")
    assert record["detections"] == [] and (record["height"], record["width"]) == (5, 7)
    assert results.from_record(record)["masks"].shape == (5, 7, 0)


def test_bad_results_are_refused(result):
    with pytest.raises(ValueError, match="inconsistent instance counts"):
        results.check_result(dict(result, scores=result["scores"][:2]))
    with pytest.raises(ValueError, match="missing keys"):
        results.check_result({"rois": result["rois"]})
    with pytest.raises(ValueError, match=r"masks must be \[H, W, N\]"):
        results.check_result(dict(result, masks=result["masks"][:, :, 0]))


def test_a_result_without_masks_is_accepted_only_where_asked(result):
    boxes_only = {k: result[k] for k in ("rois", "class_ids", "scores")}
    with pytest.raises(ValueError, match=r"missing keys \['masks'\].*masks=False"):
        results.check_result(boxes_only)
    checked = results.check_result(boxes_only, masks_optional=True)
    assert set(checked) == {"rois", "class_ids", "scores"}


# ---- convert_boxes -------------------------------------------------------------------------

def test_convert_boxes_adds_boxes_in_each_format_and_keeps_rois(result):
    y1, x1, y2, x2 = (int(v) for v in result["rois"][0])
    expected = {"yxyx": [y1, x1, y2, x2], "xyxy": [x1, y1, x2, y2],
                "xywh": [x1, y1, x2 - x1, y2 - y1],
                "cxcywh_normalized": [(x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (x2 - x1) / W,
                                      (y2 - y1) / H],
                "bxbybhbw": [(x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (y2 - y1) / H,
                             (x2 - x1) / W]}
    for box_format, first in expected.items():
        out = results.convert_boxes(result, box_format)
        assert out["box_format"] == box_format and out["rois"] is result["rois"]
        assert out["boxes"].shape == (3, 4)
        assert out["boxes"].dtype == (np.float32 if box_format.startswith(("cx", "bx"))
                                      else np.int32)
        np.testing.assert_allclose(out["boxes"][0], first, rtol=1e-6)
        assert "boxes" not in result  # a copy
    np.testing.assert_array_equal(results.convert_boxes(result, "xywh")["boxes"],
                                  results.boxes_to_xywh(result["rois"]))


def test_convert_boxes_without_masks_needs_the_image_shape_for_normalized(result):
    boxes_only = {k: result[k] for k in ("rois", "class_ids", "scores")}
    assert results.convert_boxes(boxes_only, "xyxy")["boxes"].shape == (3, 4)
    with pytest.raises(ValueError, match="image_shape"):
        results.convert_boxes(boxes_only, "cxcywh_normalized")
    np.testing.assert_array_equal(
        results.convert_boxes(boxes_only, "cxcywh_normalized", image_shape=(H, W))["boxes"],
        results.convert_boxes(result, "cxcywh_normalized")["boxes"])


def test_convert_boxes_error_names_the_valid_formats(result):
    with pytest.raises(ValueError, match="box_format='yolo'.*yxyx, xyxy, xywh, cxcywh_norm"):
        results.convert_boxes(result, "yolo")


def test_xywh_helpers_round_trip(result):
    np.testing.assert_array_equal(results.xywh_to_boxes(results.boxes_to_xywh(result["rois"])),
                                  result["rois"])
    np.testing.assert_array_equal(results.xywh_to_boxes([[1.4, 2.6, 3.0, 4.0]]), [[3, 1, 7, 4]])


# ---- semantic_map / instance_map -----------------------------------------------------------

def _overlapping():
    """A 4x6 image: a cat (score 0.6) over columns 0-3 of rows 0-2 and a person (score 0.9)
    over columns 2-5 of rows 1-3; a dog (score 0.3) on column 0 of rows 2-3."""
    masks = np.zeros((4, 6, 3), bool)
    masks[0:3, 0:4, 0] = True
    masks[1:4, 2:6, 1] = True
    masks[2:4, 0:1, 2] = True
    return {"rois": np.array([[0, 0, 3, 4], [1, 2, 4, 6], [2, 0, 4, 1]], np.int32),
            "class_ids": np.array([16, 1, 17], np.int32),
            "scores": np.array([0.6, 0.9, 0.3], np.float32), "masks": masks}


def test_semantic_and_instance_maps_of_overlapping_instances():
    r = _overlapping()
    np.testing.assert_array_equal(results.semantic_map(r), [[16, 16, 16, 16, 0, 0],
                                                            [16, 16, 1, 1, 1, 1],
                                                            [16, 16, 1, 1, 1, 1],
                                                            [17, 0, 1, 1, 1, 1]])
    np.testing.assert_array_equal(results.instance_map(r), [[1, 1, 1, 1, 0, 0],
                                                            [1, 1, 2, 2, 2, 2],
                                                            [1, 1, 2, 2, 2, 2],
                                                            [3, 0, 2, 2, 2, 2]])
    assert results.semantic_map(r).dtype == results.instance_map(r).dtype == np.int32


def test_maps_of_a_result_without_masks_paint_its_boxes_given_the_shape():
    r = _overlapping()
    boxes_only = {k: r[k] for k in ("rois", "class_ids", "scores")}
    boxes_only["rois"] = np.array([[0, 0, 3, 4], [1, 2, 4, 6], [2, 0, 4, 2]], np.int32)
    with pytest.raises(ValueError, match="no masks.*shape="):
        results.semantic_map(boxes_only)
    np.testing.assert_array_equal(results.instance_map(boxes_only, shape=(4, 6)),
                                  [[1, 1, 1, 1, 0, 0], [1, 1, 2, 2, 2, 2], [1, 1, 2, 2, 2, 2],
                                   [3, 3, 2, 2, 2, 2]])  # the dog's box, not its mask
    with pytest.raises(ValueError, match="differs from the masks"):
        results.semantic_map(r, shape=(5, 6))


def test_maps_of_an_empty_result_are_background():
    np.testing.assert_array_equal(results.semantic_map(results.empty_result(2, 3)),
                                  np.zeros((2, 3)))
    np.testing.assert_array_equal(results.instance_map(results.empty_result(2, 3), (2, 3)),
                                  np.zeros((2, 3)))


def test_top_level_names_without_tensorflow():
    import subprocess
    import sys

    import mrcnn_tf

    assert mrcnn_tf.convert_boxes is results.convert_boxes
    assert mrcnn_tf.semantic_map is results.semantic_map
    assert mrcnn_tf.instance_map is results.instance_map
    code = ("import sys, numpy as np, mrcnn_tf\n"
            "r = {'rois': np.array([[0, 1, 2, 3]]), 'class_ids': np.array([5]),\n"
            "     'scores': np.array([0.5])}\n"
            "print(mrcnn_tf.semantic_map(r, (2, 4)).sum(),\n"
            "      mrcnn_tf.convert_boxes(r, 'xywh')['boxes'].tolist(),\n"
            "      'tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["20", "[[1,", "0,", "2,", "2]]", "False"]
