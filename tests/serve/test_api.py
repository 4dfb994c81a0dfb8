"""The REST routes answer what detect() and the detect --out record give, in every format."""
from __future__ import annotations

import base64
import threading

import cv2
import numpy as np
import pytest

from mrcnn_tf import COCO_CLASS_NAMES, results, visualize
from mrcnn_tf.filtering import filter_result
from mrcnn_tf.serve import ModelService
from tests.serve.conftest import IMAGE_DIM, MIN_SCORE, make_client


def test_detect_multipart_answers_detect_out_records(client, png, expected):
    files = [("image", ("coffee.png", png["coffee"], "image/png")),
             ("image", ("astronaut.png", png["astronaut"], "image/png"))]
    answer = client.post("/v1/detect", files=files)
    assert answer.status_code == 200, answer.text
    records = answer.json()["images"]
    assert [r["image"] for r in records] == ["coffee.png", "astronaut.png"]
    for record, name in zip(records, ("coffee", "astronaut")):
        assert len(record["detections"]) > 0, "no detections: the test would prove nothing"
        assert record == results.to_record(expected[name], COCO_CLASS_NAMES,
                                           image=f"{name}.png")


def test_detect_json_base64_with_xywh_boxes_and_polygons(client, png, expected):
    body = {"images": [{"b64": base64.b64encode(png["coffee"]).decode(), "name": "c.png"}],
            "box_format": "xywh", "mask_format": "polygon"}
    answer = client.post("/v1/detect", json=body)
    assert answer.status_code == 200, answer.text
    detections = answer.json()["images"][0]["detections"]
    reference = expected["coffee"]
    assert len(detections) == len(reference["class_ids"]) > 0
    for i, d in enumerate(detections):
        y1, x1, y2, x2 = (int(v) for v in reference["rois"][i])
        assert d["box"] == [x1, y1, x2 - x1, y2 - y1] == d["bbox"]
        assert "rle" not in d
        assert d["polygons"] == results.polygons(reference["masks"][:, :, i])


def test_detect_raw_image_body_xyxy_without_masks(client, png, expected):
    answer = client.post("/v1/detect?box_format=xyxy&mask_format=none", content=png["astronaut"],
                         headers={"Content-Type": "image/png"})
    assert answer.status_code == 200, answer.text
    detections = answer.json()["images"][0]["detections"]
    rois = expected["astronaut"]["rois"]
    assert [d["box"] for d in detections] == [[int(r[1]), int(r[0]), int(r[3]), int(r[2])]
                                              for r in rois]
    assert all("rle" not in d and "polygons" not in d for d in detections)
    assert [d["mask_area"] for d in detections] == [
        int(a) for a in expected["astronaut"]["masks"].sum(axis=(0, 1))]


def test_classes_and_min_score_filter_the_answer(client, png, expected):
    reference = expected["astronaut"]
    scores = np.sort(reference["scores"])
    threshold = float(scores[len(scores) // 2])
    answer = client.post("/v1/detect", files={"image": ("a.png", png["astronaut"])},
                         data={"min_score": str(threshold)})
    assert len(answer.json()["images"][0]["detections"]) == int((scores >= threshold).sum())
    assert int((scores >= threshold).sum()) < len(scores)
    name = COCO_CLASS_NAMES[int(reference["class_ids"][0])]
    answer = client.post("/v1/detect", files={"image": ("a.png", png["astronaut"])},
                         data={"classes": name.upper()})
    got = answer.json()["images"][0]["detections"]
    assert {d["class_name"] for d in got} == {name}
    assert len(got) == int((reference["class_ids"] == reference["class_ids"][0]).sum())


@pytest.mark.parametrize("render", ["overlay", "splash"])
def test_render_answers_the_drawn_png(client, png, images, expected, render):
    answer = client.post("/v1/render", files={"image": ("c.png", png["coffee"])},
                         data={"render": render})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    drawn = cv2.cvtColor(cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_COLOR),
                         cv2.COLOR_BGR2RGB)
    if render == "overlay":
        reference = visualize.draw_instances(images["coffee"], expected["coffee"],
                                             COCO_CLASS_NAMES)
    else:
        reference = visualize.color_splash(images["coffee"], expected["coffee"])
    assert np.array_equal(drawn, reference)
    assert not np.array_equal(drawn, images["coffee"])


def test_render_with_filters_draws_only_what_is_kept(client, png, images, expected):
    answer = client.post("/v1/render", files={"image": ("c.png", png["coffee"])},
                         data={"min_score": "0.99"})
    drawn = cv2.cvtColor(cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_COLOR),
                         cv2.COLOR_BGR2RGB)
    kept = filter_result(expected["coffee"], COCO_CLASS_NAMES, min_score=0.99)
    assert np.array_equal(drawn, visualize.draw_instances(images["coffee"], kept,
                                                          COCO_CLASS_NAMES))


def test_model_route_describes_the_model(client):
    info = client.get("/v1/model").json()
    assert info["weights"] == "r50.h5" and info["family"] == "matterport"
    assert info["backbone"] == "resnet50" and info["num_classes"] == 81
    assert info["classes"] == list(COCO_CLASS_NAMES) and info["precision"] == "float32"
    assert info["image_min_dim"] == info["image_max_dim"] == IMAGE_DIM
    assert info["detection_min_confidence"] == pytest.approx(MIN_SCORE)
    assert info["limits"]["max_pixels"] == 40_000_000


def test_health_readiness_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/detect", "/v1/render", "/v1/model", "/healthz", "/readyz"} <= set(paths)
    assert "multipart/form-data" in paths["/v1/detect"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404 and "/v1/detect" in missing.json()["error"]


class GatedModel:
    """The real model behind a gate: detect() waits until the test opens it."""

    def __init__(self, model):
        self.model, self.config = model, model.config
        self.gate = threading.Event()
        self.calls = []

    def detect(self, images, batch_size=None):
        self.gate.wait(120)
        self.calls.append(len(images))
        return self.model.detect(images, batch_size=batch_size)


def test_readyz_waits_for_the_first_model_call(serve_model):
    model = GatedModel(serve_model)
    service = ModelService(model)
    client = make_client(service)
    try:
        waiting = client.get("/readyz")
        assert waiting.status_code == 503 and "loading" in waiting.json()["error"]
        assert client.get("/healthz").status_code == 200
        model.gate.set()
        assert service.wait_ready(120)
        assert client.get("/readyz").status_code == 200 and model.calls == [1]
    finally:
        model.gate.set()
        service.close(60)


def test_api_key_guards_the_v1_routes(service, png):
    client = make_client(service, api_key="s3cret")
    assert client.get("/v1/model").status_code == 401
    wrong = client.get("/v1/model", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Authorization: Bearer" in wrong.json()["error"]
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert client.post("/v1/detect", files={"image": ("c.png", png["coffee"])}).status_code \
        == 401
    good = {"Authorization": "Bearer s3cret"}
    assert client.get("/v1/model", headers=good).status_code == 200
    assert client.post("/v1/detect", files={"image": ("c.png", png["coffee"])},
                       headers=good).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def test_page_is_mounted_at_the_root(service):
    from fastapi.testclient import TestClient

    from mrcnn_tf.serve import ServeSettings, create_app

    app = create_app(service, ServeSettings(class_names=COCO_CLASS_NAMES, weights="r50.h5"))
    with TestClient(app) as client:
        page = client.get("/")
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert client.get("/v1/model").json()["num_classes"] == 81
        assert client.get("/docs").status_code == 200


def test_with_an_api_key_the_page_asks_for_it_as_password(service):
    from fastapi.testclient import TestClient

    from mrcnn_tf.serve import ServeSettings, create_app

    app = create_app(service, ServeSettings(class_names=COCO_CLASS_NAMES, api_key="s3cret"))
    with TestClient(app) as client:
        assert client.get("/config").status_code == 401  # the page's data needs the login
        assert client.post("/login", data={"username": "me", "password": "nope"}
                           ).status_code == 400
        assert client.post("/login", data={"username": "me", "password": "s3cret"}
                           ).status_code == 200
        assert client.get("/config").status_code == 200


def test_the_library_never_imports_the_command_line():
    import ast
    from pathlib import Path

    import mrcnn_tf.serve

    for path in Path(mrcnn_tf.serve.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("mrcnn_tf.cli") for n in names), path.name
