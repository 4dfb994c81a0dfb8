"""The pipeline on the DirectRunner's multi-process mode (2 worker processes, each loading
the model) in IMAGE_RESIZE_MODE "fit64", where images are batched by molded shape."""
from __future__ import annotations

import glob
import json
import os

from tests.helpers import require_extra

require_extra("apache_beam", "beam")

from mrcnn_tf.beam.pipeline import BeamDetectJob, run  # noqa: E402
from tests.beam.conftest import (CORRUPT, assert_same_detections, good_images,  # noqa: E402
                                 model_overrides, reference_results)


def test_two_worker_processes_give_detect_results(image_folder, r50_weights, tmp_path):
    pattern = os.fspath(image_folder / "*.*")  # the top folder: 8 images and the corrupt file
    paths = [p for p in good_images(image_folder) if os.path.dirname(p) == str(image_folder)]
    job = BeamDetectJob(pattern, os.fspath(tmp_path / "mp"), weights=os.fspath(r50_weights),
                        config=model_overrides("fit64"), batch_size=1, num_shards=1)
    summary = run(job, ["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    assert (summary.read, summary.segmented, summary.failed) == (len(paths) + 1, len(paths), 1)
    assert summary.state == "DONE"
    records = [json.loads(line) for line in open(glob.glob(f"{tmp_path}/mp-detections-*")[0])]
    assert sorted(r["image"] for r in records) == paths
    expected = reference_results(r50_weights, paths, "fit64")
    for record in records:
        assert_same_detections(record, expected[record["image"]])
    assert sum(len(r["detections"]) for r in records) > 0, "no detections: nothing compared"
    errors = [json.loads(line) for line in open(glob.glob(f"{tmp_path}/mp-errors-*")[0])]
    assert [e["image"] for e in errors] == [os.fspath(image_folder / CORRUPT)]
