"""The batch segmentation pipeline: files matching a pattern -> sharded JSON lines.

    MatchFiles(pattern) -> Reshuffle (file names only, so reading spreads over workers)
      -> ReadMatches -> DecodeImage ----------------------------------> errors
      -> RunInference(MaskRCNNModelHandler, keyed by path) ------------> errors (failed batches)
      -> FormatResult (filter, record, pictures) ----------------------> errors
      -> WriteToText(PREFIX-detections-SSSSS-of-NNNNN.jsonl)
    errors -> WriteToText(PREFIX-errors-SSSSS-of-NNNNN.jsonl)

Batches hold images of one molded shape: in IMAGE_RESIZE_MODE "square" every image molds to
IMAGE_MAX_DIM x IMAGE_MAX_DIM and RunInference batches as it likes (the handler's
batch_elements_kwargs: up to batch_size images, no shuffle of images); in the other modes the
images are keyed by molded shape and batched per key (GroupIntoBatches.WithShardedKey, so each
worker thread keeps its own batches), then RunInference takes the batches as they are.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import typing

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference

from mrcnn_tf.beam import outputs, transforms
from mrcnn_tf.beam.images import molded_shape, molds_to_one_shape
from mrcnn_tf.beam.model_handler import ExportedModelHandler, MaskRCNNModelHandler
from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS


@dataclasses.dataclass
class BeamDetectJob:
    """What to segment and where the results go (see the module docstring).

    input_pattern: a file pattern on any filesystem Beam reads ("photos/*.jpg",
    "gs://bucket/images/**"). out_prefix: the output files' common prefix. weights, config:
    as MaskRCNNModelHandler. class_names: index = class id (default: the names that come
    with the weights, weights.info.class_names_of). classes,
    min_score: as filtering.filter_result. draw / extract: also write annotated pictures /
    cut-outs. batch_size: images per model call. num_shards: output shards (0: the runner
    decides). share_model: one model per machine instead of per worker process.
    max_pixels: an image whose header states more pixels (width x height) is not decoded and
    gets an error line (None: no limit). model: an exported portable model (its file or
    folder, local) run with mrcnn_tf.runtime instead of weights and config; its class names
    are the default.
    """

    input_pattern: str
    out_prefix: str
    weights: str = "coco"
    config: dict = dataclasses.field(default_factory=dict)
    class_names: list | None = None
    classes: typing.Any = None
    min_score: float | None = None
    draw: bool = False
    extract: bool = False
    batch_size: int = 4
    num_shards: int = 0
    share_model: bool = False
    max_pixels: int | None = DEFAULT_MAX_PIXELS
    model: str | None = None

    def __post_init__(self):
        if self.class_names is None and self.model:
            self.class_names = list(self._export.class_names)
        elif self.class_names is None:
            from mrcnn_tf.weights.info import class_names_of

            self.class_names = list(class_names_of(self.weights))

    @functools.cached_property
    def _export(self):
        """The exported model's files (read once)."""
        from mrcnn_tf.runtime.model import ExportFiles

        return ExportFiles(self.model)

    def model_config(self):
        """The Config for the overrides (validated now, before any worker starts; BACKBONE
        and NUM_CLASSES are the weights' on the workers); an exported model's own."""
        from mrcnn_tf.config import Config

        if self.model:
            return self._export.config
        return Config(**{"NUM_CLASSES": len(self.class_names), **self.config})

    def handler(self) -> MaskRCNNModelHandler:
        if self.model:
            return ExportedModelHandler(self.model, max_batch_size=self.batch_size,
                                        share_across_processes=self.share_model)
        return MaskRCNNModelHandler(self.weights, config=self.config,
                                    max_batch_size=self.batch_size,
                                    share_across_processes=self.share_model)


@dataclasses.dataclass
class JobSummary:
    """The counters of a finished run (transforms.COUNTERS_NAMESPACE)."""

    read: int
    segmented: int
    failed: int
    state: str

    def line(self) -> str:
        return (f"{self.read} images read, {self.segmented} segmented, {self.failed} failed "
                f"(pipeline {self.state})")


def _shape_batches(images, config, batch_size):
    """(path, image) -> lists of (path, image) of one molded shape, at most batch_size each."""
    def key(element):
        height, width = element[1].shape[:2]
        return molded_shape(height, width, config), element

    return (images
            | "KeyByMoldedShape" >> beam.Map(key).with_output_types(
                typing.Tuple[typing.Tuple[int, int], typing.Any])
            | "BatchByShape" >> beam.GroupIntoBatches.WithShardedKey(batch_size)
            | "Batches" >> beam.Map(lambda keyed: list(keyed[1])))


def detect_images(images, job: BeamDetectJob):
    """(path, image) -> ((path, PredictionResult), failed batches of RunInference)."""
    config = job.model_config()
    handler = KeyedModelHandler(job.handler())
    if molds_to_one_shape(config):
        inference = images | "RunInference" >> RunInference(handler).with_exception_handling()
    else:
        batches = _shape_batches(images, config, job.batch_size)
        inference = batches | "RunInference" >> RunInference(
            handler.with_no_batching()).with_exception_handling()
    results, dead_letters = inference
    return results, dead_letters.failed_inferences


def build(pipeline, job: BeamDetectJob) -> dict:
    """Add the job's steps to a beam.Pipeline; returns the "detections" and "errors"
    PCollections of JSON lines / error records."""
    decoded = (pipeline
               | "MatchFiles" >> fileio.MatchFiles(job.input_pattern)
               | "SpreadFiles" >> beam.Reshuffle()
               | "ReadMatches" >> fileio.ReadMatches()
               | "Decode" >> beam.ParDo(transforms.DecodeImage(job.max_pixels)).with_outputs(
                   transforms.ERRORS, main="images"))
    results, failed_batches = detect_images(decoded.images, job)
    formatted = results | "Format" >> beam.ParDo(transforms.FormatResult(
        job.class_names, classes=job.classes, min_score=job.min_score, prefix=job.out_prefix,
        draw=job.draw, extract=job.extract,
        input_base=outputs.pattern_base(job.input_pattern))).with_outputs(
            transforms.ERRORS, main="lines")
    inference_errors = failed_batches | "InferenceErrors" >> beam.ParDo(
        transforms.InferenceErrors())
    errors = ((decoded[transforms.ERRORS], inference_errors, formatted[transforms.ERRORS])
              | "AllErrors" >> beam.Flatten()
              | "ErrorLines" >> beam.Map(json.dumps))
    write = dict(file_name_suffix=outputs.SUFFIX, num_shards=job.num_shards,
                 shard_name_template=outputs.SHARD_TEMPLATE)
    formatted.lines | "WriteDetections" >> beam.io.WriteToText(
        outputs.detections_prefix(job.out_prefix), **write)
    errors | "WriteErrors" >> beam.io.WriteToText(outputs.errors_prefix(job.out_prefix),
                                                  **write)
    return {"detections": formatted.lines, "errors": errors}


def counters(result) -> dict:
    """{counter name: value} of transforms.COUNTERS_NAMESPACE from a finished PipelineResult
    (committed values where the runner reports them, else attempted)."""
    from apache_beam.metrics.metric import MetricsFilter

    found = {transforms.READ: 0, transforms.SEGMENTED: 0, transforms.FAILED: 0}
    query = result.metrics().query(MetricsFilter().with_namespace(transforms.COUNTERS_NAMESPACE))
    for counter in query["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        found[counter.key.metric.name] = found.get(counter.key.metric.name, 0) + int(value or 0)
    return found


def run(job: BeamDetectJob, pipeline_args=()) -> JobSummary:
    """Run the job with Beam pipeline options (e.g. ["--runner", "DataflowRunner", ...];
    default the DirectRunner), wait for it and return its counters."""
    from apache_beam.options.pipeline_options import PipelineOptions

    job.model_config()  # a bad Config field fails here, not on the workers
    pipeline = beam.Pipeline(options=PipelineOptions(list(pipeline_args)))
    build(pipeline, job)
    result = pipeline.run()
    state = result.wait_until_finish()
    found = counters(result)
    return JobSummary(found[transforms.READ], found[transforms.SEGMENTED],
                      found[transforms.FAILED], str(state))
