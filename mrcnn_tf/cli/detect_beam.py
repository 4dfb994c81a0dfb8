"""``mrcnn-tf detect-beam``: segment many images on Apache Beam (local, Dataflow, Flink, Spark).

Options this command does not know are Beam pipeline options (--runner, --project,
--direct_num_workers, ...) and go to PipelineOptions; a misspelt one is an error.
"""
from __future__ import annotations

import argparse
import os
import sys

from mrcnn_tf.cli.arguments import (add_max_pixels_argument, add_model_arguments,
                                    describe_command, positive_int)

DESCRIPTION = """\
Segment every image matching PATTERN with an Apache Beam pipeline and write, sharded:

  PREFIX-detections-SSSSS-of-NNNNN.jsonl   one line per image: {"image", "height", "width",
                                           "detections": [{"class_id", "class_name", "score",
                                           "box", "bbox", "mask_area", "rle"}]} (the fields
                                           of detect's NAME.json)
  PREFIX-errors-SSSSS-of-NNNNN.jsonl       one line per image that could not be read or
                                           segmented, or is larger than --max-pixels (not
                                           decoded): {"image", "error"}
  PREFIX-annotated/REL.png                 with --draw (REL: the input's path relative to
                                           the pattern's folder)
  PREFIX-objects/REL/NNN_CLASS.png         with --extract: RGBA cut-outs

and print the counts of images read / segmented / failed. A bad image never fails the job;
the exit status is 1 if any image failed, 2 if the run could not start.
'mrcnn-tf merge-results' turns the detections shards into one COCO results file.
"""

EPILOG = """\
examples:
  mrcnn-tf detect-beam --input 'photos/*.jpg' --out out/run --direct_num_workers=2 \\
      --direct_running_mode=multi_processing
  mrcnn-tf detect-beam --input 'gs://BUCKET/images/*.jpg' --out gs://BUCKET/out/run \\
      --weights gs://BUCKET/mask_rcnn_coco.h5 --runner DataflowRunner --project PROJECT \\
      --region us-central1 --temp_location gs://BUCKET/tmp --requirements_file req.txt

Beam pipeline options: see https://beam.apache.org/documentation/programming-guide/
#configuring-pipeline-options (without --runner: the DirectRunner on this machine).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The detect-beam command's arguments; unknown options are kept as pipeline_args."""
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--input", required=True, metavar="PATTERN",
                        help="file pattern on any filesystem Beam reads (quote it): "
                             "'photos/*.jpg', 'gs://bucket/images/**', or a local folder")
    parser.add_argument("--out", required=True, metavar="PREFIX",
                        help="prefix of the output files (local path, gs://..., s3://...)")
    parser.add_argument("--draw", action="store_true",
                        help="also write annotated pictures, PREFIX-annotated/REL.png")
    parser.add_argument("--extract", action="store_true",
                        help="also write RGBA cut-outs, PREFIX-objects/REL/NNN_CLASS.png")
    parser.add_argument("--batch-size", type=positive_int, default=4, metavar="N",
                        help="images per model call (default 4)")
    parser.add_argument("--num-shards", type=int, default=0, metavar="N",
                        help="output shards per file kind (default 0: the runner decides)")
    parser.add_argument("--share-model", action="store_true",
                        help="one model per machine shared by its worker processes (less "
                             "memory, results pickled between processes); default one model "
                             "per worker process")
    add_max_pixels_argument(parser, "a larger image gets an error line and is skipped")
    add_model_arguments(parser, filters=True, exported=True)
    parser.set_defaults(run=run, pipeline_args=[])
    _keep_unknown_options(parser)


def _keep_unknown_options(parser: argparse.ArgumentParser) -> None:
    """Make the sub-parser keep the options it does not know in args.pipeline_args (the
    top-level parser would reject them)."""
    parse_known = parser.parse_known_args

    def parse_known_args(args=None, namespace=None):
        namespace, extras = parse_known(args, namespace)
        namespace.pipeline_args = list(namespace.pipeline_args) + list(extras)
        return namespace, []

    parser.parse_known_args = parse_known_args


def _error(message: str) -> None:
    print(f"mrcnn-tf detect-beam: error: {message}", file=sys.stderr)


def unknown_pipeline_options(pipeline_args) -> list:
    """The options in pipeline_args that no Beam PipelineOptions class declares, as --NAME."""
    import logging

    from apache_beam.options.pipeline_options import PipelineOptions

    options = PipelineOptions(list(pipeline_args))
    logger = logging.getLogger("apache_beam.options.pipeline_options")
    level = logger.level
    logger.setLevel(logging.ERROR)  # Beam logs "Discarding unparseable args": we say it
    try:
        known = options.get_all_options()
    finally:
        logger.setLevel(level)
    everything = options.get_all_options(retain_unknown_options=True)
    return [f"--{name}" for name in everything if name not in known]


def input_pattern(text: str) -> str:
    """A local folder becomes FOLDER/* ; anything else is the pattern as given."""
    if "://" not in text and os.path.isdir(text):
        return os.path.join(text, "*")
    return text


def make_job(args):
    """BeamDetectJob from the parsed arguments; class names checked on this machine
    (remote weights are copied here once to read them; --model, an exported model, is read
    here and must be local). Raises SetupError."""
    from mrcnn_tf.beam.model_handler import is_remote, local_weights
    from mrcnn_tf.beam.pipeline import BeamDetectJob
    from mrcnn_tf.cli import model_setup

    common = dict(min_score=args.min_score, draw=args.draw, extract=args.extract,
                  batch_size=args.batch_size, num_shards=args.num_shards,
                  share_model=args.share_model, max_pixels=args.max_pixels)
    if args.model:  # an exported model: its own Config and classes, no TensorFlow on workers
        if is_remote(args.model):
            raise model_setup.SetupError(f"--model {args.model!r}: an exported model must be "
                                         "a local file or folder")
        classes = model_setup.exported_classes(args)  # the workers load the model
        return BeamDetectJob(input_pattern(args.input), args.out, model=args.model,
                             class_names=classes.names, classes=classes.keep, **common)
    local = argparse.Namespace(**vars(args))
    if is_remote(args.weights):
        try:
            local.weights = os.fspath(local_weights(args.weights))
        except (OSError, ValueError) as err:
            raise model_setup.SetupError(f"--weights {args.weights!r}: {err}") from None
    classes = model_setup.choose_classes(local, command="detect-beam", quiet=False)
    return BeamDetectJob(
        input_pattern(args.input), args.out, weights=args.weights,
        config={**model_setup.config_file_fields(args.config),
                **model_setup.config_overrides(args, classes.family)}, class_names=classes.names,
        classes=classes.keep, **common)


def run(args) -> int:
    """Run detect-beam with parsed arguments; returns the exit status."""
    try:
        import apache_beam  # noqa: F401
    except ImportError:
        _error("needs Apache Beam: pip install \"mrcnn_tf[beam]\"")
        return 2
    from mrcnn_tf.cli.model_setup import SetupError

    unknown = unknown_pipeline_options(args.pipeline_args)
    if unknown:
        _error(f"unknown option {unknown[0]} (neither a detect-beam option nor a Beam "
               "pipeline option)")
        return 2
    try:
        job = make_job(args)
        job.model_config()
    except (SetupError, ValueError) as err:
        _error(str(err))
        return 2
    from mrcnn_tf.beam.outputs import detections_prefix, errors_prefix
    from mrcnn_tf.beam.pipeline import run as run_job

    try:
        summary = run_job(job, args.pipeline_args)
    except Exception as err:  # the runner's failure: one line, not Beam's nested traceback
        lines = [line for line in str(err).splitlines() if line.strip()]
        _error(f"the pipeline failed: {type(err).__name__}: {lines[-1] if lines else ''}")
        return 1
    print(f"mrcnn-tf detect-beam: {summary.line()}; detections in "
          f"{detections_prefix(job.out_prefix)}-*.jsonl, errors in "
          f"{errors_prefix(job.out_prefix)}-*.jsonl")
    return 1 if summary.failed else 0
