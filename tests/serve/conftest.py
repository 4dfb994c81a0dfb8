"""Fixtures for the server tests: a small deterministic model that detects things in the test
images, its direct detect() answers, and TestClients of apps around it."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

# With the r50 parity weights at 256 px the coffee and astronaut images score ~0.5-0.65 on
# their best detections: 0.5 gives several on each (the tests assert there are some).
MIN_SCORE = 0.5
IMAGE_DIM = 256


@pytest.fixture(scope="session")
def serve_model(r50_weights):
    """A ResNet-50 COCO-class model at 256x256, DETECTION_MIN_CONFIDENCE=MIN_SCORE."""
    import mrcnn_tf

    return mrcnn_tf.MaskRCNN.from_weights(r50_weights, IMAGES_PER_GPU=1, IMAGE_MIN_DIM=IMAGE_DIM,
                                          IMAGE_MAX_DIM=IMAGE_DIM,
                                          DETECTION_MIN_CONFIDENCE=MIN_SCORE)


@pytest.fixture(scope="session")
def images():
    """name -> RGB uint8 image (skimage.data)."""
    from tests.helpers import skimage_image

    return {name: skimage_image(name) for name in ("coffee", "astronaut", "chelsea")}


@pytest.fixture(scope="session")
def expected(serve_model, images):
    """name -> detect() result of the model on the image alone."""
    return {name: serve_model.detect([image])[0] for name, image in images.items()}


@pytest.fixture(scope="session")
def png(images):
    """name -> PNG bytes of the image (lossless: decodes to the same pixels)."""
    return {name: cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes()
            for name, image in images.items()}


@pytest.fixture(scope="session")
def service(serve_model):
    """One ModelService for the API tests (warmed up)."""
    from mrcnn_tf.serve import ModelService

    service = ModelService(serve_model).start()
    assert service.wait_ready(300), service.warmup_error
    yield service
    service.close(timeout=60)


def make_client(service, **settings):
    from fastapi.testclient import TestClient

    from mrcnn_tf import COCO_CLASS_NAMES
    from mrcnn_tf.serve import ServeSettings, create_app

    app = create_app(service, ServeSettings(class_names=COCO_CLASS_NAMES, weights="r50.h5",
                                            **settings), page=False)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def client(service):
    """A TestClient of the API (no page), default settings."""
    return make_client(service)


def same_result(a, b) -> bool:
    return all(np.array_equal(np.asarray(a[k]), np.asarray(b[k]))
               for k in ("rois", "class_ids", "scores", "masks"))
