"""Fixtures for the export tests: one small model, its SavedModels, and what detect() says.

The model is ResNet-50 at 256x256 with the r50 parity weights; DETECTION_MIN_CONFIDENCE is
0.3 because these deterministic weights score below matterport's 0.7 at this size, and a
comparison of empty result sets would prove nothing.
"""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import skimage_image

EXPORT_CONFIG = dict(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                     IMAGE_MAX_DIM=256, DETECTION_MIN_CONFIDENCE=0.3)
RUNNER = Path(__file__).with_name("serving_runner.py")


def encode(image, ext=".png"):
    """Encoded bytes of an RGB (or grayscale 2-D) uint8 image."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def decode_like_tensorflow(data):
    """RGB uint8 [H, W, 3] as tf.io.decode_image(channels=3) decodes it (what the graph sees)."""
    import tensorflow as tf

    return tf.io.decode_image(data, channels=3, expand_animations=False).numpy()


@pytest.fixture(scope="session")
def serving_images():
    """name -> encoded image bytes: sizes differ, PNG and JPEG, RGB and grayscale; one image
    smaller than IMAGE_MIN_DIM (scaled up) and the others larger (scaled down)."""
    camera = skimage_image("camera")[..., 0]
    return {
        "chelsea": encode(skimage_image("chelsea")),                     # 300x451 RGB
        "coffee": encode(skimage_image("coffee")),                       # 400x600 RGB
        "camera": encode(camera),                                        # 512x512 gray PNG
        "astronaut_crop": encode(skimage_image("astronaut")[:120, :200], ".jpg"),  # upscaled
        "coffee_crop": encode(skimage_image("coffee")[:300, :451]),      # chelsea's size
    }


@pytest.fixture(scope="session")
def export_model(r50_weights):
    import mrcnn_tf

    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(**EXPORT_CONFIG))
    model.load_weights(r50_weights)
    return model


class References:
    """detect() results of serving images, computed on first use and kept.

    ``references(names)`` runs detect() on those images as one batch (batch_size set to their
    number; square mode molds every size to one shape), as the server runs its request: then
    the only difference left is the export's own work (molding, box mapping, mask pasting),
    not the model's float rounding at another batch size, which can flip a rounded pixel of
    the thin boxes these deterministic weights produce.
    """

    def __init__(self, model, images):
        self.model, self.images, self.done = model, images, {}

    def __call__(self, names) -> list:
        names = tuple(names)
        if names not in self.done:
            results = self.model.detect(
                [decode_like_tensorflow(self.images[name]) for name in names],
                batch_size=len(names))
            for name, result in zip(names, results):
                assert len(result["class_ids"]), f"{name}: no detections; the test proves nothing"
            self.done[names] = results
        return self.done[names]


@pytest.fixture(scope="session")
def references(export_model, serving_images):
    return References(export_model, serving_images)


@pytest.fixture(scope="session")
def box_export(export_model, tmp_path_factory):
    """A SavedModel with both signatures and box masks (the Python API): its version dir."""
    from mrcnn_tf.export import export_saved_model

    return Path(export_saved_model(export_model, tmp_path_factory.mktemp("box") / "mask_rcnn"))


@pytest.fixture(scope="session")
def image_export(r50_weights, tmp_path_factory):
    """A SavedModel with full-size masks, written by ``mrcnn-tf export``: (version dir,
    what the command printed)."""
    from mrcnn_tf.cli.main import main

    base = tmp_path_factory.mktemp("image") / "mask_rcnn"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["export", "--weights", str(r50_weights), "--out", str(base),
                       "--version", "3", "--image-min-dim", "256", "--image-max-dim", "256",
                       "--min-score", str(EXPORT_CONFIG["DETECTION_MIN_CONFIDENCE"]),
                       "--mask-format", "image", "--max-detections", "40"])
    assert status == 0, out.getvalue()
    return base / "3", out.getvalue()


def run_signatures(calls, tmp_path, attributes=()):
    """Call SavedModel signatures in a fresh Python process (serving_runner.py).

    calls: {key: (version dir, signature, input name, data)} with data a uint8 batch or a
    list of encoded images; attributes: {key: (version dir, attribute name)}. Returns
    {key: {output name: numpy array}} (or {"error": text}); attributes as {"value": array}.
    """
    job = [{"model": str(model_dir), "attribute": name, "out": str(tmp_path / f"{key}.npz")}
           for key, (model_dir, name) in dict(attributes).items()]
    for key, (model_dir, signature, input_name, data) in calls.items():
        data_path = tmp_path / f"{key}.npy"
        if isinstance(data, list):
            data = np.array(data, dtype=object)  # encoded images: a 1-D array of bytes
        np.save(data_path, data, allow_pickle=True)
        job.append({"model": str(model_dir), "signature": signature, "input": input_name,
                    "data": str(data_path), "out": str(tmp_path / f"{key}.npz")})
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps({"calls": job}))
    done = subprocess.run([sys.executable, str(RUNNER), str(job_path)], capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = {}
    for key in [*calls, *dict(attributes)]:
        with np.load(tmp_path / f"{key}.npz") as data:
            outputs[key] = {name: data[name] for name in data.files}
    return outputs
