"""MaskRCNNModelHandler and the pipeline's batching and failure routing."""
from __future__ import annotations

import glob
import json
import os
import tempfile

import numpy as np
import pytest
import skimage.data

from tests.helpers import require_extra

require_extra("apache_beam", "beam")

import apache_beam as beam  # noqa: E402
from apache_beam.io.localfilesystem import LocalFileSystem  # noqa: E402
from apache_beam.testing import test_pipeline  # noqa: E402
from apache_beam.testing.util import assert_that  # noqa: E402

import mrcnn_tf  # noqa: E402
from mrcnn_tf.beam.images import molded_shape  # noqa: E402
from mrcnn_tf.beam.model_handler import MaskRCNNModelHandler, local_weights  # noqa: E402
from mrcnn_tf.beam.pipeline import BeamDetectJob, _shape_batches, run  # noqa: E402
from tests.beam.conftest import BOMB, CORRUPT, good_images  # noqa: E402


def test_handler_model_detects_as_the_documented_api(r50_weights, small_model):
    """load_model + run_inference on a batch == a model built by hand (conftest small_model:
    CocoConfig, ResNet-50, 256 x 256) detecting the same batch."""
    handler = MaskRCNNModelHandler(r50_weights, config={"IMAGE_MIN_DIM": 256,
                                                        "IMAGE_MAX_DIM": 256})
    model = handler.load_model()
    assert (model.config.BACKBONE, model.config.NUM_CLASSES) == ("resnet50", 81)
    images = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.logo()]
    predictions = handler.run_inference(images, model)
    expected = small_model.detect(images, batch_size=len(images))
    assert sum(len(r["class_ids"]) for r in expected) > 0, "no detections: nothing compared"
    for image, prediction, want in zip(images, predictions, expected):
        assert prediction.example is image
        for key in ("rois", "class_ids", "masks"):
            np.testing.assert_array_equal(prediction.inference[key], want[key])
        np.testing.assert_allclose(prediction.inference["scores"], want["scores"], atol=1e-6)
    assert handler.batch_elements_kwargs() == {"min_batch_size": 1, "max_batch_size": 4}
    assert not handler.share_model_across_processes()
    assert MaskRCNNModelHandler(share_across_processes=True).share_model_across_processes()


def test_fit64_batches_hold_one_molded_shape():
    config = mrcnn_tf.Config(NUM_CLASSES=2, IMAGE_RESIZE_MODE="fit64", IMAGE_MIN_DIM=256,
                             IMAGE_MAX_DIM=256)
    sizes = [(300, 451), (512, 512), (400, 600), (100, 100), (256, 256), (640, 427),
             (301, 450), (20, 900)]
    elements = [(f"img{i}", np.zeros(size, np.uint8)) for i, size in enumerate(sizes)]
    shapes = {name: molded_shape(*image.shape, config) for name, image in elements}
    assert len(set(shapes.values())) >= 3

    def check(batches):
        batches = [[name for name, _ in batch] for batch in batches]
        assert sorted(n for batch in batches for n in batch) == sorted(shapes)
        for batch in batches:
            assert 1 <= len(batch) <= 3
            assert len({shapes[n] for n in batch}) == 1, batch

    with test_pipeline.TestPipeline() as p:
        batches = _shape_batches(p | beam.Create(elements), config, 3)
        assert_that(batches, check)


class FailingModel:
    def detect(self, images, batch_size=None):
        raise RuntimeError("out of memory (a test model that always fails)")


class FailingHandler(MaskRCNNModelHandler):
    def load_model(self):
        return FailingModel()


class FailingJob(BeamDetectJob):
    def handler(self):
        return FailingHandler(self.weights, config=self.config, max_batch_size=self.batch_size)


def test_model_failures_are_error_lines_and_the_job_finishes(image_folder, tmp_path):
    job = FailingJob(os.fspath(image_folder / "**"), os.fspath(tmp_path / "f"),
                     weights="unused.h5", class_names=["BG", "thing"], num_shards=1)
    summary = run(job)
    good = good_images(image_folder)
    unreadable = [os.fspath(image_folder / CORRUPT), os.fspath(image_folder / BOMB)]
    assert (summary.read, summary.segmented, summary.failed) == (len(good) + 2, 0, len(good) + 2)
    errors = {e["image"]: e["error"] for e in
              (json.loads(line) for line in open(glob.glob(f"{tmp_path}/f-errors-*")[0]))}
    assert sorted(errors) == sorted(good + unreadable)
    for path in good:
        assert errors[path] == ("detection failed (RuntimeError: out of memory (a test model "
                                "that always fails))")
    assert open(glob.glob(f"{tmp_path}/f-detections-*")[0]).read() == ""


class PrefixedLocalFileSystem(LocalFileSystem):
    """Beam's local filesystem under a URL scheme, standing in for gs:// in tests."""

    PREFIX = "mrcnntest://"

    @classmethod
    def scheme(cls):
        return "mrcnntest"

    def match(self, patterns, limits=None):
        return super().match([p[len(self.PREFIX):] for p in patterns], limits)

    def open(self, path, *args, **kwargs):
        return super().open(path[len(self.PREFIX):], *args, **kwargs)


def test_remote_weights_are_copied_once_through_beam_filesystems(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    source = tmp_path / "bucket" / "w.h5"
    source.parent.mkdir()
    source.write_bytes(bytes(range(256)) * 50000)  # 12.8 MB: several read chunks
    spec = f"{PrefixedLocalFileSystem.PREFIX}{source}"
    copy = local_weights(spec)
    assert copy.parent == tmp_path / "tmp" / "mrcnn_tf_beam" and copy.name.endswith("_w.h5")
    assert copy.read_bytes() == source.read_bytes()
    source.unlink()
    assert local_weights(spec) == copy  # the copy is reused, the source not read again
    assert [p.name for p in copy.parent.iterdir()] == [copy.name]  # no partial files left
    with pytest.raises(FileNotFoundError, match="does not exist"):
        local_weights(f"{PrefixedLocalFileSystem.PREFIX}{tmp_path}/bucket/other.h5")
