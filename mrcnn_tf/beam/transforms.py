"""The pipeline's steps as Beam DoFns: decode files, format results, turn failures into lines.

Elements: a decoded image is ``(path, image)`` (image as images.decode_image returns it);
RunInference turns it into ``(path, PredictionResult(image, result))``. A failure becomes an
error record ``{"image": path, "error": reason}`` on the output tagged ERRORS. The counters
(namespace COUNTERS_NAMESPACE) are images_read (every matched file), images_segmented (a
detections line written) and images_failed (an error line written).
"""
from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.metrics import Metrics

from mrcnn_tf.beam import outputs
from mrcnn_tf.beam.images import ImageDecodeError, decode_image
from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS

ERRORS = "errors"
COUNTERS_NAMESPACE = "mrcnn_tf"
READ, SEGMENTED, FAILED = "images_read", "images_segmented", "images_failed"


def error_record(path, reason) -> dict:
    return {"image": str(path), "error": str(reason)}


def first_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {(str(err).splitlines() or [''])[0]}"


class DecodeImage(beam.DoFn):
    """fileio.ReadableFile -> (path, image); unreadable files and images above max_pixels
    (width x height as the header states it; not decoded) -> ERRORS."""

    def __init__(self, max_pixels=DEFAULT_MAX_PIXELS):
        self.max_pixels = max_pixels
        self.read = Metrics.counter(COUNTERS_NAMESPACE, READ)
        self.failed = Metrics.counter(COUNTERS_NAMESPACE, FAILED)

    def process(self, readable):
        path = readable.metadata.path
        self.read.inc()
        try:
            image = decode_image(readable.read(), max_pixels=self.max_pixels)
        except ImageDecodeError as err:
            reason = str(err)
        except (OSError, IOError) as err:
            reason = f"cannot read file ({first_line(err)})"
        else:
            yield path, image
            return
        self.failed.inc()
        yield beam.pvalue.TaggedOutput(ERRORS, error_record(path, reason))


class InferenceErrors(beam.DoFn):
    """RunInference's failed batches ``(batch of (path, image), (type, repr, traceback))``
    -> one error record per image of the batch."""

    def __init__(self):
        self.failed = Metrics.counter(COUNTERS_NAMESPACE, FAILED)

    def process(self, failure):
        batch, (exc_type, exc_repr, trace) = failure
        lines = [line.strip() for line in "".join(trace or []).splitlines() if line.strip()]
        # the traceback's last line is "Type: message"; repr(exception) if there is none
        reason = lines[-1] if lines else f"{getattr(exc_type, '__name__', exc_type)}: {exc_repr}"
        for path, _image in batch:
            self.failed.inc()
            yield error_record(path, f"detection failed ({reason})")


class FormatResult(beam.DoFn):
    """(path, PredictionResult) -> one JSON line (results.to_record of the filtered result,
    the fields ``mrcnn-tf detect`` writes as NAME.json, without image_id); with draw / extract
    also the annotated picture and cut-outs (see outputs.py). Failures -> ERRORS.

    class_names: index = class id. classes: names or ids to keep (None: all); min_score: keep
    scores >= it (None: all the model returned). input_base: outputs.pattern_base of the input.
    """

    def __init__(self, class_names, *, classes=None, min_score=None, prefix="", draw=False,
                 extract=False, input_base=""):
        self.class_names = list(class_names)
        self.classes, self.min_score = classes, min_score
        self.prefix, self.draw, self.extract = prefix, draw, extract
        self.input_base = input_base
        self.segmented = Metrics.counter(COUNTERS_NAMESPACE, SEGMENTED)
        self.failed = Metrics.counter(COUNTERS_NAMESPACE, FAILED)

    def process(self, element):
        from mrcnn_tf.filtering import filter_result
        from mrcnn_tf.results import to_record

        path, prediction = element
        try:
            result = filter_result(prediction.inference, self.class_names,
                                   classes=self.classes, min_score=self.min_score)
            line = json.dumps(to_record(result, self.class_names, image=path),
                              ensure_ascii=False)
            self.write_pictures(path, prediction.example, result)
        except Exception as err:  # one image's problem must not fail the job
            self.failed.inc()
            yield beam.pvalue.TaggedOutput(
                ERRORS, error_record(path, f"cannot write its results ({first_line(err)})"))
            return
        self.segmented.inc()
        yield line

    def write_pictures(self, path, image, result) -> None:
        if not (self.draw or self.extract):
            return
        rel = outputs.relative_name(path, self.input_base)
        if self.draw:
            from mrcnn_tf.visualize import draw_instances

            outputs.write_file(outputs.annotated_path(self.prefix, rel), outputs.encode_png(
                draw_instances(image, result, self.class_names)))
        if self.extract:
            from mrcnn_tf.extract import extract_instances, instance_filename

            folder = outputs.objects_folder(self.prefix, rel)
            for instance in extract_instances(image, result, self.class_names):
                if instance.rgba.shape[0] and instance.rgba.shape[1]:
                    outputs.write_file(f"{folder}/{instance_filename(instance)}",
                                       outputs.encode_png(instance.rgba))
