"""samples/serving_client.py against a TF Serving stand-in on 127.0.0.1 (REST and gRPC)."""
from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import pytest

from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.export import results_from_serving
from tests.helpers import REPO, require_extra

FAKE_SERVING = Path(__file__).with_name("fake_tf_serving.py")
BATCH = ("chelsea", "astronaut_crop")  # PNG and JPEG, two sizes, one request


@pytest.fixture(scope="module")
def client():
    spec = importlib.util.spec_from_file_location("serving_client",
                                                  REPO / "samples" / "serving_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def image_files(serving_images, tmp_path_factory):
    folder = tmp_path_factory.mktemp("client_images")
    paths = []
    for name in BATCH:
        data = serving_images[name]
        path = folder / (name + (".jpg" if data[:2] == b"\xff\xd8" else ".png"))
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def server(box_export):
    """(REST port, gRPC port or None) of a stand-in TF Serving in its own process."""
    process = subprocess.Popen(
        [sys.executable, str(FAKE_SERVING), "--model-name", "mask_rcnn", "--model-base-path",
         str(box_export.parent), "--lifetime", "1200"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        ready = lines.get(timeout=600)
    except queue.Empty:
        ready = ""
    if not ready.startswith("READY"):
        process.kill()
        pytest.fail(f"TF Serving stand-in did not start: {process.stderr.read()[-3000:]}")
    ports = dict(item.split("=") for item in ready.split()[1:])
    yield int(ports["rest"]), None if ports["grpc"] == "none" else int(ports["grpc"])
    process.terminate()
    process.wait(timeout=60)


def _assert_agree(references, results):
    for name, reference, ours in zip(BATCH, references(BATCH), results):
        agreement = compare_detections(reference, ours, reference["masks"].shape[:2])
        assert agreement.passes(), f"{name}: {agreement}"


def test_rest_body_decodes_to_the_same_bytes(client, image_files):
    encoded = [client.read_image(path)[0] for path in image_files]
    body = json.loads(json.dumps(client.rest_request_body(encoded)))
    assert body["signature_name"] == "serving_default"
    assert [base64.b64decode(item["b64"]) for item in body["instances"]] == [
        path.read_bytes() for path in image_files]


def test_rest_answer_matches_detect(client, server, image_files, references):
    encoded, images = zip(*(client.read_image(path) for path in image_files))
    answer = client.predict_rest(f"http://127.0.0.1:{server[0]}", "mask_rcnn",
                                 client.rest_request_body(encoded))
    assert len(answer["predictions"]) == len(BATCH)
    _assert_agree(references, results_from_serving(answer, [im.shape for im in images]))


def test_grpc_answer_matches_detect(client, server, image_files, references):
    require_extra("tensorflow_serving.apis", "serving")
    assert server[1] is not None
    encoded, images = zip(*(client.read_image(path) for path in image_files))
    outputs = client.predict_grpc(f"127.0.0.1:{server[1]}", "mask_rcnn", encoded)
    _assert_agree(references, results_from_serving(outputs, [im.shape for im in images]))


def test_client_prints_and_draws(client, server, image_files, references, tmp_path):
    """The client prints and draws what the server answered (that the answer agrees with
    detect() is the two tests above: counts from two graphs may differ by a borderline
    detection on another CPU, so they are not compared here)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = client.main([str(p) for p in image_files] + [
            "--rest", f"http://127.0.0.1:{server[0]}", "--out", str(tmp_path)])
    assert status == 0
    encoded, images = zip(*(client.read_image(path) for path in image_files))
    answer = client.predict_rest(f"http://127.0.0.1:{server[0]}", "mask_rcnn",
                                 client.rest_request_body(encoded))
    answered = results_from_serving(answer, [im.shape for im in images])
    for path, result, reference in zip(image_files, answered, references(BATCH)):
        assert f"{path}: {len(result['class_ids'])} detections" in printed.getvalue()
        drawn = cv2.imread(str(tmp_path / f"{path.stem}.png"))
        assert drawn is not None and drawn.shape == reference["masks"].shape[:2] + (3,)


def test_client_errors_are_one_line(client, server, image_files):
    with pytest.raises(RuntimeError, match="TF Serving answered 404"):
        client.predict_rest(f"http://127.0.0.1:{server[0]}", "no_such_model",
                            client.rest_request_body([image_files[0].read_bytes()]))
    with pytest.raises(RuntimeError, match="TF Serving answered 400: .*"):
        client.predict_rest(f"http://127.0.0.1:{server[0]}", "mask_rcnn",
                            client.rest_request_body([b"not an image"]))
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RuntimeError, match="cannot reach TF Serving"):
        client.predict_rest(f"http://127.0.0.1:{port}", "mask_rcnn",
                            client.rest_request_body([image_files[0].read_bytes()]))
