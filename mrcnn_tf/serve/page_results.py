"""What the page shows for one image, computed from the raw detect() result kept in the
session (so the score slider and class filter never re-run the model): the annotations for
gr.AnnotatedImage, the table rows, the count line and the download files.

A result: rois int32 [N, (y1, x1, y2, x2)] pixels, class_ids [N], scores [N], masks bool
[H, W, N].
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from mrcnn_tf import results as results_lib
from mrcnn_tf.filtering import filter_result
from mrcnn_tf.visualize import draw_instances, instance_colors

TABLE_HEADERS = ["#", "class", "score", "box [y1, x1, y2, x2]", "bbox [x, y, w, h]",
                 "mask area"]
KEEP_SECONDS = 3600  # download folders older than this are removed


def filtered(raw, class_names, min_score, classes) -> dict:
    """The raw result with score >= min_score and, when classes (names) is not empty, only
    those classes."""
    return filter_result(raw["result"], class_names, classes=list(classes) or None,
                         min_score=min_score)


def labels(result, class_names) -> list:
    """One unique label per detection: "1. cat 0.93"."""
    return [f"{i + 1}. {class_names[c]} {s:.2f}"
            for i, (c, s) in enumerate(zip(result["class_ids"], result["scores"]))]


def annotations(image, result, class_names) -> tuple:
    """(value for gr.AnnotatedImage, its color_map): the image and one (mask float [H, W],
    label) per detection, coloured as draw_instances colours them."""
    names = labels(result, class_names)
    masks = [(result["masks"][:, :, i].astype(np.float32), names[i]) for i in range(len(names))]
    colors = {name: "#%02x%02x%02x" % color
              for name, color in zip(names, instance_colors(result["class_ids"]))}
    return (image, masks), colors


def table_rows(result, class_names) -> list:
    bboxes = results_lib.boxes_to_xywh(result["rois"])
    areas = result["masks"].sum(axis=(0, 1))
    return [[i + 1, class_names[int(c)], round(float(s), 4), str([int(v) for v in box]),
             str([int(v) for v in bbox]), int(a)]
            for i, (c, s, box, bbox, a) in enumerate(zip(result["class_ids"], result["scores"],
                                                         result["rois"], bboxes, areas))]


def count_text(result, raw, min_score) -> str:
    shown, total = len(result["class_ids"]), len(raw["result"]["class_ids"])
    return (f"**{shown} detection{'s' if shown != 1 else ''}** shown of {total} "
            f"(score >= {min_score:.2f})")


def class_choices(raw, class_names) -> list:
    """The class names present in the raw result, sorted."""
    return sorted({class_names[int(c)] for c in raw["result"]["class_ids"]})


def new_folder(base) -> Path:
    """A fresh folder under base for one answer's files; older folders are removed."""
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in base.iterdir():
        if old.is_dir() and now - old.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=base))


def write_downloads(raw, result, class_names, folder) -> list:
    """NAME.json (detect --out's record), NAME.png (annotated) and NAME_objects.zip (RGBA
    cut-outs) in folder; returns their paths."""
    from mrcnn_tf.extract import extract_instances, save_instances
    from mrcnn_tf.serve.images import encode_png

    folder = Path(folder)
    stem = Path(raw["name"]).stem or "image"
    image = raw["image"]
    record = results_lib.to_record(result, class_names, image=raw["name"])
    json_path = folder / f"{stem}.json"
    json_path.write_text(json.dumps(record), encoding="utf-8")
    png_path = folder / f"{stem}.png"
    png_path.write_bytes(encode_png(draw_instances(image, result, class_names)))
    objects = folder / f"{stem}_objects"
    paths = save_instances(extract_instances(image, result, class_names), objects)
    zip_path = folder / f"{stem}_objects.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) as archive:
        for path in paths:
            archive.write(path, arcname=os.path.join(objects.name, path.name))
    shutil.rmtree(objects, ignore_errors=True)
    return [str(json_path), str(png_path), str(zip_path)]
