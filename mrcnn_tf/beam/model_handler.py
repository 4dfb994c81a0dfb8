"""A ModelHandler that runs ``MaskRCNN.detect`` inside ``apache_beam.ml.inference.RunInference``.

    from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
    handler = KeyedModelHandler(MaskRCNNModelHandler("gs://bucket/mask_rcnn_coco.h5",
                                                     config={"IMAGE_MAX_DIM": 512}))
    results = keyed_images | RunInference(handler)   # (path, image) -> (path, PredictionResult)

Examples are images as ``detect()`` takes them (RGB [H, W, 3] or grayscale [H, W], uint8 or
uint16); each prediction is a ``PredictionResult(example=image, inference=result)`` with
detect()'s result dict: ``rois`` int32 [N, (y1, x1, y2, x2)] pixels, ``class_ids`` int32 [N],
``scores`` float32 [N], ``masks`` bool [H, W, N].

The model is loaded once per worker process and shared by its threads (RunInference keeps it
in Beam's ``shared.Shared`` handle), so memory grows with the number of SDK worker processes
(one model each, about 1.5 GB for ResNet-101 at 1024 x 1024), not with threads.
``share_across_processes=True`` loads one model per machine in a separate process that all
worker processes call (Beam's ``multi_process_shared``; images and results are pickled
between processes).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

METRICS_NAMESPACE = "mrcnn_tf_RunInference"


def is_remote(spec) -> bool:
    """True for a URL-like weights path Beam's FileSystems read (gs://, s3://, hdfs://...)."""
    return "://" in os.fspath(spec)


def local_weights(spec, *, progress=False) -> Path:
    """A local file for a weights argument: an existing file as is, a published name ("coco")
    fetched into the package's cache (``weights.fetch``), or a path on any filesystem Beam
    reads (gs://, s3://, ...) copied once per machine into the temporary folder.
    Raises FileNotFoundError / OSError naming the path."""
    from mrcnn_tf.weights.fetch import resolve_weights

    spec = os.fspath(spec)
    if not is_remote(spec):
        return resolve_weights(spec, progress=progress)
    from apache_beam.io.filesystems import FileSystems

    digest = hashlib.sha1(spec.encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "mrcnn_tf_beam" / f"{digest}_{Path(spec).name}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if not FileSystems.match([spec])[0].metadata_list:
        raise FileNotFoundError(f"weights file {spec!r} does not exist")
    partial = target.with_name(f".{target.name}.partial.{os.getpid()}")
    try:
        with FileSystems.open(spec) as src, open(partial, "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


class MaskRCNNModelHandler(ModelHandler):
    """Loads a MaskRCNN and runs detect() on batches of images (see the module docstring).

    weights: what ``MaskRCNN.from_weights`` / ``weights.fetch`` take ("coco", a local .h5)
    or a gs:// / s3:// path. config: Config field overrides (e.g. IMAGE_MAX_DIM,
    DETECTION_MIN_CONFIDENCE); BACKBONE and NUM_CLASSES come from the file.
    max_batch_size: images per detect() call (RunInference's batches; images of different
    molded shapes in one batch go in separate model calls, as detect() does).
    """

    def __init__(self, weights="coco", *, config=None, min_batch_size=1, max_batch_size=4,
                 share_across_processes=False):
        super().__init__(min_batch_size=min_batch_size, max_batch_size=max_batch_size,
                         large_model=share_across_processes)
        self.weights = os.fspath(weights)
        self.config = dict(config or {})

    def load_model(self):
        """The MaskRCNN for the weights (called once per worker process by RunInference)."""
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from mrcnn_tf.model import MaskRCNN

        overrides = {"NAME": "mrcnn_tf_beam", "IMAGES_PER_GPU": 1, **self.config}
        return MaskRCNN.from_weights(local_weights(self.weights), **overrides)

    def run_inference(self, batch, model, inference_args=None):
        """detect() on the batch's images: one PredictionResult(image, result) per image."""
        images = list(batch)
        results = model.detect(images, batch_size=len(images))
        return [PredictionResult(image, result) for image, result in zip(images, results)]

    def get_num_bytes(self, batch) -> int:
        return sum(int(getattr(image, "nbytes", 0)) for image in batch)

    def get_metrics_namespace(self) -> str:
        return METRICS_NAMESPACE

    def __repr__(self):
        return f"MaskRCNNModelHandler(weights={self.weights!r}, config={self.config!r})"


class ExportedModelHandler(MaskRCNNModelHandler):
    """Runs an exported portable model (mrcnn-tf export --format onnx|openvino|litert: its
    model file or folder, a local path on every worker, given as ``weights``) with
    ``mrcnn_tf.runtime``: no TensorFlow on the workers. Its Config and class names are the
    export's own."""

    def load_model(self):
        """The runtime model (called once per worker process by RunInference)."""
        from mrcnn_tf import runtime

        return runtime.load(self.weights)

    def __repr__(self):
        return f"ExportedModelHandler(model={self.weights!r})"
