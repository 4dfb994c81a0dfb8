"""Merge the pipeline's JSON-line shards into one COCO results file (what COCO.loadRes reads).

Image ids are stable: 1, 2, ... by sorted image path over all shards, the same for the same
set of images however the runner sharded them; the map {path: image_id} is written beside
the results, as ``mrcnn-tf detect`` writes image_ids.json. Category ids follow
``results.category_ids_for``: COCO's ids when the detections' class names are COCO's, else
the class ids.
"""
from __future__ import annotations

import json

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.results import category_ids_for


class MergeError(ValueError):
    """A shard that cannot be read or holds a line that is not a detections record."""


def expand_shards(patterns) -> list:
    """Paths (or patterns on any filesystem Beam reads) -> the sorted shard files."""
    from apache_beam.io.filesystems import FileSystems

    paths = set()
    for pattern, match in zip(patterns, FileSystems.match(list(patterns))):
        if not match.metadata_list:
            raise MergeError(f"{pattern}: no such file")
        paths.update(m.path for m in match.metadata_list)
    return sorted(paths)


def read_records(shards) -> list:
    """All records of the shards (one JSON object a line), sorted by image path."""
    from apache_beam.io.filesystems import FileSystems

    records = []
    for shard in shards:
        with FileSystems.open(shard) as f:
            for number, line in enumerate(f.read().decode("utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as err:
                    raise MergeError(f"{shard} line {number}: not JSON ({err})") from None
                if not isinstance(record, dict) or "image" not in record \
                        or "detections" not in record:
                    raise MergeError(f"{shard} line {number}: not a detections record (an "
                                     "errors shard?)")
                records.append(record)
    return sorted(records, key=lambda r: r["image"])


def coco_category_ids(records) -> list:
    """Category id per class id: COCO's when every detection's (class_id, class_name) is
    COCO's, else the class id (as results.category_ids_for for the run's class list)."""
    coco = all(0 < d["class_id"] < len(COCO_CLASS_NAMES)
               and COCO_CLASS_NAMES[d["class_id"]] == d["class_name"]
               for r in records for d in r["detections"])
    if coco:
        return category_ids_for(COCO_CLASS_NAMES)
    top = max((d["class_id"] for r in records for d in r["detections"]), default=0)
    return [None] + list(range(1, top + 1))


def to_coco_results(records) -> tuple:
    """(COCO result dicts, {path: image_id}) for records sorted by path. Each result:
    {"image_id", "category_id", "bbox": [x, y, w, h], "score", "segmentation": RLE}, the
    fields results.to_coco writes."""
    category_ids = coco_category_ids(records)
    image_ids, coco = {}, []
    for record in records:
        if record["image"] in image_ids:
            raise MergeError(f"{record['image']}: appears twice in the shards (shards of two "
                             "runs given together?)")
        image_id = image_ids[record["image"]] = len(image_ids) + 1
        for d in record["detections"]:
            coco.append({"image_id": image_id, "category_id": category_ids[d["class_id"]],
                         "bbox": d["bbox"], "score": d["score"], "segmentation": d["rle"]})
    return coco, image_ids


def merge_results(shards, out, *, image_ids_path=None) -> tuple:
    """Merge detections shards (paths or patterns) into the COCO results file ``out`` and
    the image-id map ``image_ids_path`` (default image_ids.json beside out). Both are
    written through Beam's FileSystems. Returns (images, detections). Raises MergeError."""
    from apache_beam.io.filesystems import FileSystems

    records = read_records(expand_shards(shards))
    coco, image_ids = to_coco_results(records)
    if image_ids_path is None:
        image_ids_path = FileSystems.join(FileSystems.split(out)[0] or ".", "image_ids.json")
    for path, value in ((out, coco), (image_ids_path, image_ids)):
        with FileSystems.create(path, mime_type="application/json") as f:
            f.write(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    return len(records), len(coco)
