"""mrcnn_tf.beam.merge: JSON-line shards -> COCO results with stable image ids."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.helpers import require_extra

require_extra("apache_beam", "beam")

from mrcnn_tf import COCO_CLASS_NAMES  # noqa: E402
from mrcnn_tf.beam.merge import MergeError, merge_results  # noqa: E402
from mrcnn_tf.results import to_coco, to_record  # noqa: E402


def result(seed, n, shape=(20, 30)):
    rng = np.random.default_rng(seed)
    masks = rng.random(shape + (n,)) > 0.7
    return {"rois": np.array([[1, 2, 10 + i, 12 + i] for i in range(n)], np.int32),
            "class_ids": rng.integers(1, 81, n).astype(np.int32),
            "scores": rng.random(n).astype(np.float32), "masks": masks}


def write_shards(folder, records_per_shard):
    paths = []
    for i, records in enumerate(records_per_shard):
        path = folder / f"r-detections-{i:05d}-of-{len(records_per_shard):05d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        paths.append(str(path))
    return paths


def test_merge_equals_to_coco_with_ids_by_sorted_path(tmp_path):
    results = {"b/2.jpg": result(1, 3), "a/9.jpg": result(2, 0), "c.jpg": result(3, 2)}
    records = [to_record(r, COCO_CLASS_NAMES, image=p) for p, r in results.items()]
    shards = write_shards(tmp_path, [records[:1], records[1:]])
    assert merge_results([f"{tmp_path}/r-detections-*"], str(tmp_path / "out.json")) == (3, 5)
    ids = json.loads((tmp_path / "image_ids.json").read_text())
    assert ids == {"a/9.jpg": 1, "b/2.jpg": 2, "c.jpg": 3}
    expected = [entry for path in sorted(results)
                for entry in to_coco(results[path], ids[path], COCO_CLASS_NAMES)]
    assert json.loads((tmp_path / "out.json").read_text()) == json.loads(json.dumps(expected))
    # the same images sharded the other way round get the same ids
    merge_results(shards[::-1], str(tmp_path / "again.json"),
                  image_ids_path=str(tmp_path / "ids2.json"))
    assert json.loads((tmp_path / "ids2.json").read_text()) == ids


def test_non_coco_class_names_keep_class_ids(tmp_path):
    names = ["BG", "balloon", "kite"]
    r = result(4, 2)
    r["class_ids"] = np.array([2, 1], np.int32)
    write_shards(tmp_path, [[to_record(r, names, image="x.png")]])
    merge_results([f"{tmp_path}/r-detections-*"], str(tmp_path / "out.json"))
    entries = json.loads((tmp_path / "out.json").read_text())
    assert [e["category_id"] for e in entries] == [2, 1]


def test_bad_shards_are_errors_naming_the_file(tmp_path):
    with pytest.raises(MergeError, match="no such file"):
        merge_results([f"{tmp_path}/missing-*.jsonl"], str(tmp_path / "o.json"))
    errors = tmp_path / "r-errors-00000-of-00001.jsonl"
    errors.write_text(json.dumps({"image": "x.jpg", "error": "bad"}) + "\n")
    with pytest.raises(MergeError, match="line 1: not a detections record"):
        merge_results([str(errors)], str(tmp_path / "o.json"))
    record = to_record(result(5, 1), COCO_CLASS_NAMES, image="x.jpg")
    write_shards(tmp_path, [[record], [record]])
    with pytest.raises(MergeError, match="appears twice"):
        merge_results([f"{tmp_path}/r-detections-*"], str(tmp_path / "o.json"))
