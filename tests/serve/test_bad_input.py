"""Bad requests get a 4xx JSON error naming the problem; nothing crashes the server, and a
500 never shows the client a traceback."""
from __future__ import annotations

import logging
import threading

import pytest

from mrcnn_tf.serve import ModelService
from tests.pixel_bombs import png_bomb
from tests.serve.conftest import make_client


def error_of(answer, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()["error"]


def post_file(client, data, name="x.png", **fields):
    return client.post("/v1/detect", files={"image": (name, data)}, data=fields)


@pytest.mark.parametrize("data, status, words", [
    (b"hello, this is text\n", 415, ["'notes.png'", "not an image"]),
    (b"", 400, ["'notes.png'", "empty"]),
])
def test_not_an_image_and_empty(client, data, status, words):
    message = error_of(post_file(client, data, name="notes.png"), status)
    assert all(w in message for w in words), message


def test_corrupt_and_truncated_images(client, png):
    garbage_header = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for data in (png_bomb(64, 64), png["coffee"][:len(png["coffee"]) // 3], garbage_header):
        message = error_of(post_file(client, data, name="broken.png"), 400)
        assert "'broken.png'" in message and "corrupt" in message, message


@pytest.mark.parametrize("width, height, pixels", [(10000, 5000, "50"), (30000, 30000, "900")])
def test_too_many_pixels_is_refused_before_decoding(client, width, height, pixels):
    """Also above Pillow's own bomb limit (179 megapixels), with the size said."""
    message = error_of(post_file(client, png_bomb(width, height), name="huge.png"), 413)
    assert message == (f"image 'huge.png': {width}x{height} = {pixels} megapixels, more than "
                       "the limit of 40 megapixels (--max-pixels)")


def test_max_pixels_setting(service, png):
    client = make_client(service, max_pixels=100_000)  # coffee is 600x400 = 240,000 pixels
    message = error_of(post_file(client, png["coffee"], name="c.png"), 413)
    assert "600x400" in message and "0.1 megapixels" in message


def test_body_too_large_by_length_and_by_stream(service, png):
    client = make_client(service, max_body_bytes=10_000)
    message = error_of(post_file(client, png["coffee"]), 413)
    assert "too large" in message and "10,000" in message

    def chunks():  # no Content-Length: the limit applies to the bytes as they arrive
        data = png["coffee"]
        for start in range(0, len(data), 4096):
            yield data[start:start + 4096]
    message = error_of(client.post("/v1/detect", content=chunks(),
                                   headers={"Content-Type": "image/png"}), 413)
    assert "too large" in message


def test_unknown_class_names_the_nearest_valid_ones(client, png):
    message = error_of(post_file(client, png["coffee"], classes="persn,cat"), 400)
    assert "'persn'" in message and "'person'" in message


@pytest.mark.parametrize("fields, words", [
    ({"min_score": "high"}, ["min_score", "between 0 and 1"]),
    ({"min_score": "1.5"}, ["min_score", "between 0 and 1"]),
    ({"box_format": "cxcywh"}, ["box_format", "yxyx", "xyxy", "xywh"]),
    ({"mask_format": "png"}, ["mask_format", "rle", "polygon", "none"]),
    ({"min_scor": "0.5"}, ["unknown field 'min_scor'", "min_score"]),
])
def test_bad_fields(client, png, fields, words):
    message = error_of(post_file(client, png["coffee"], **fields), 400)
    assert all(w in message for w in words), message


def test_bad_bodies(client, png):
    assert "no image" in error_of(client.post("/v1/detect", data={"min_score": "0.5"}), 400)
    assert "no image" in error_of(client.post("/v1/detect", json={"min_score": 0.5}), 400)
    assert "Content-Type 'text/plain'" in error_of(
        client.post("/v1/detect", content=b"x", headers={"Content-Type": "text/plain"}), 415)
    assert "not valid JSON" in error_of(
        client.post("/v1/detect", content=b"{nope", headers={"Content-Type":
                                                             "application/json"}), 400)
    assert "not valid base64" in error_of(
        client.post("/v1/detect", json={"images": ["***"]}), 400)
    assert "expected a file upload" in error_of(
        client.post("/v1/detect", data={"image": "cat.jpg"}), 400)
    message = error_of(client.post("/v1/render", files=[("image", ("a.png", png["coffee"])),
                                                       ("image", ("b.png", png["coffee"]))]),
                       400)
    assert "2 images" in message and "at most 1" in message
    assert "render" in error_of(post_file(client, png["coffee"], render="splash"), 400)
    assert "render='x'" in error_of(client.post("/v1/render", files={
        "image": ("a.png", png["coffee"])}, data={"render": "x"}), 400)


def test_too_many_images(service, png):
    client = make_client(service, max_images=2)
    files = [("image", (f"{i}.png", png["chelsea"])) for i in range(3)]
    assert "3 images" in error_of(client.post("/v1/detect", files=files), 400)


def test_the_server_still_answers_after_bad_requests(client, png, expected):
    answer = post_file(client, png["coffee"])
    assert answer.status_code == 200
    assert len(answer.json()["images"][0]["detections"]) == len(expected["coffee"]["scores"])


class BrokenModel:
    """A model whose detect() fails unexpectedly (after its warm-up call)."""

    def __init__(self, model):
        self.model, self.config, self.calls = model, model.config, 0

    def detect(self, images, batch_size=None):
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("secret internal detail /opt/model.h5")
        return self.model.detect(images, batch_size=batch_size)


def test_internal_errors_are_logged_not_shown(serve_model, png, caplog):
    service = ModelService(BrokenModel(serve_model))
    client = make_client(service)
    try:
        assert service.wait_ready(120)
        with caplog.at_level(logging.ERROR, logger="mrcnn_tf.serve"):
            answer = post_file(client, png["coffee"])
        message = error_of(answer, 500)
        assert "secret" not in answer.text and "Traceback" not in answer.text
        assert "server's log" in message
        assert "secret internal detail" in caplog.text and "Traceback" in caplog.text
    finally:
        service.close(60)


class SlowModel:
    """The real model; calls after the warm-up wait until the test releases them."""

    def __init__(self, model):
        self.model, self.config = model, model.config
        self.release, self.calls = threading.Event(), 0

    def detect(self, images, batch_size=None):
        self.calls += 1
        if self.calls > 1:
            self.release.wait(120)
        return self.model.detect(images, batch_size=batch_size)


def test_a_request_waiting_longer_than_the_timeout_gets_503(serve_model, png):
    model = SlowModel(serve_model)
    service = ModelService(model)
    client = make_client(service, timeout=0.5)
    try:
        assert service.wait_ready(120)
        message = error_of(post_file(client, png["chelsea"]), 503)
        assert "did not answer within 0.5 s" in message and "--timeout" in message
        model.release.set()
        assert client.get("/healthz").status_code == 200
    finally:
        model.release.set()
        service.close(60)
