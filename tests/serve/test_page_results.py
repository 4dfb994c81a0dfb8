"""What the page shows is computed from the kept raw result: filters, annotations, table,
count line and download files."""
from __future__ import annotations

import json
import zipfile

import cv2
import numpy as np

from mrcnn_tf import COCO_CLASS_NAMES, results, visualize
from mrcnn_tf.serve import page_results as shown


def raw_for(images, expected, name="coffee"):
    return {"image": images[name], "result": expected[name], "name": f"{name}.png"}


def test_filtered_by_score_and_class(images, expected):
    raw = raw_for(images, expected, "astronaut")
    scores = raw["result"]["scores"]
    assert len(scores) > 1
    cut = float(np.sort(scores)[len(scores) // 2])
    kept = shown.filtered(raw, COCO_CLASS_NAMES, cut, [])
    assert len(kept["scores"]) == int((scores >= cut).sum()) < len(scores)
    name = COCO_CLASS_NAMES[int(raw["result"]["class_ids"][0])]
    only = shown.filtered(raw, COCO_CLASS_NAMES, 0.0, [name])
    assert {COCO_CLASS_NAMES[c] for c in only["class_ids"]} == {name}
    assert shown.class_choices(raw, COCO_CLASS_NAMES) == sorted(
        {COCO_CLASS_NAMES[c] for c in raw["result"]["class_ids"]})


def test_annotations_table_and_count(images, expected):
    raw = raw_for(images, expected)
    result = raw["result"]
    (image, masks), colors = shown.annotations(raw["image"], result, COCO_CLASS_NAMES)
    assert image is raw["image"] and len(masks) == len(result["scores"]) > 0
    labels = [label for _, label in masks]
    assert len(set(labels)) == len(labels) and set(colors) == set(labels)
    for i, (mask, label) in enumerate(masks):
        assert mask.shape == image.shape[:2] and np.array_equal(mask > 0.5,
                                                                result["masks"][:, :, i])
        assert label.startswith(f"{i + 1}. {COCO_CLASS_NAMES[result['class_ids'][i]]} ")
    rows = shown.table_rows(result, COCO_CLASS_NAMES)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert [r[5] for r in rows] == [int(a) for a in result["masks"].sum(axis=(0, 1))]
    text = shown.count_text(result, raw, 0.5)
    assert text.startswith(f"**{len(rows)} detections**") and f"of {len(rows)}" in text


def test_downloads_are_the_record_the_picture_and_the_cut_outs(images, expected, tmp_path):
    raw = raw_for(images, expected)
    paths = shown.write_downloads(raw, raw["result"], COCO_CLASS_NAMES,
                                  shown.new_folder(tmp_path))
    record, picture, archive = paths
    assert json.loads(open(record).read()) == results.to_record(raw["result"],
                                                                COCO_CLASS_NAMES,
                                                                image="coffee.png")
    drawn = cv2.cvtColor(cv2.imread(picture), cv2.COLOR_BGR2RGB)
    assert np.array_equal(drawn, visualize.draw_instances(raw["image"], raw["result"],
                                                          COCO_CLASS_NAMES))
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert len(names) == len(raw["result"]["scores"]) > 0
    assert all(n.startswith("coffee_objects/") and n.endswith(".png") for n in names)
