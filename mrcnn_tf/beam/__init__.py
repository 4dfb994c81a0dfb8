"""Batch segmentation on Apache Beam (``pip install "mrcnn_tf[beam]"``): local, Dataflow,
Flink or Spark.

    from mrcnn_tf.beam import BeamDetectJob, run, merge_results
    summary = run(BeamDetectJob("photos/*.jpg", "out/run", weights="coco"),
                  ["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    print(summary.line())          # images read / segmented / failed
    merge_results(["out/run-detections-*.jsonl"], "out/results.json")

- model_handler: MaskRCNNModelHandler for ``RunInference`` (one model per worker process)
- pipeline: BeamDetectJob, build (add the steps to a Pipeline), run (and wait; counters)
- transforms: the DoFns (decode, format, errors); outputs: output file names, PNG writing
- merge: JSON-line shards -> one COCO results file and image_ids.json
"""
from mrcnn_tf.lazy import lazy_attributes

_LAZY = {
    "MaskRCNNModelHandler": "mrcnn_tf.beam.model_handler",
    "BeamDetectJob": "mrcnn_tf.beam.pipeline",
    "JobSummary": "mrcnn_tf.beam.pipeline",
    "build": "mrcnn_tf.beam.pipeline",
    "run": "mrcnn_tf.beam.pipeline",
    "merge_results": "mrcnn_tf.beam.merge",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
