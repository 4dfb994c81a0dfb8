"""An exported model in the commands that take one with --model besides detect: mrcnn-tf video
(without TensorFlow: a fresh process checks sys.modules) and mrcnn-tf serve (a real server
answering /v1/detect over HTTP), each giving what runtime.load(...).detect gives."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import cv2
import pytest

from tests.helpers import REPO, require_extra, skimage_image

VIDEO_SCRIPT = """
import sys
from mrcnn_tf.cli.main import main
status = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras"))
print(status, loaded)
"""


def _still_video(path, image, frames):
    """A lossless (FFV1) .avi of `frames` copies of image (RGB): every decoder gives back its
    pixels, so the video's detections can be compared with the image's."""
    height, width = image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"FFV1"), 10.0,
                             (width, height))
    assert writer.isOpened()
    for _ in range(frames):
        writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_video_with_exported_model_needs_no_tensorflow(small_exports, tmp_path):
    from mrcnn_tf import runtime

    model_path = small_exports("onnx")
    image = skimage_image("coffee")[:384, :512]
    source = _still_video(tmp_path / "coffee.avi", image, 3)
    jsonl = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", VIDEO_SCRIPT, "video", str(source), str(tmp_path / "out.avi"),
         "--model", str(model_path), "--jsonl", str(jsonl), "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    status, loaded = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "0", done.stderr[-2000:]
    assert loaded == "[]", f"mrcnn-tf video --model imported {loaded}"
    with open(jsonl, encoding="utf8") as f:
        records = [json.loads(line) for line in f]
    assert [r["frame"] for r in records] == [0, 1, 2]
    model = runtime.load(model_path)
    expected = model.detect([image])[0]
    assert len(expected["class_ids"]) > 0, "nothing detected: the check would be empty"
    for record in records:
        found = sorted((d["class_id"], tuple(d["box"])) for d in record["detections"])
        assert found == sorted(zip(expected["class_ids"].tolist(),
                                   map(tuple, expected["rois"].tolist())))
        assert {d["class_name"] for d in record["detections"]} <= set(model.class_names)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.status, answer.read()


@pytest.fixture
def exported_server(small_exports):
    """`mrcnn-tf serve --model` on a free port of 127.0.0.1; yields (base url, model path)."""
    require_extra("fastapi", "serve")
    require_extra("uvicorn", "serve")
    model_path = small_exports("onnx")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mrcnn_tf.cli.main", "serve", "--model", str(model_path),
         "--port", str(port), "--no-page", "--log-level", "warning"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, f"serve exited: {server.stdout.read()[-2000:]}"
            try:
                if _get(base + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "serve --model not ready within 300 s"
            time.sleep(0.5)
        yield base, model_path
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def test_serve_with_exported_model_answers_as_runtime(exported_server):
    import httpx

    from mrcnn_tf import results, runtime

    base, model_path = exported_server
    image = skimage_image("coffee")
    png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes()
    answer = httpx.post(base + "/v1/detect", files=[("image", ("coffee.png", png, "image/png"))],
                        timeout=300)
    assert answer.status_code == 200, answer.text
    model = runtime.load(model_path)
    expected = model.detect([image])[0]
    assert len(expected["class_ids"]) > 0, "nothing detected: the check would be empty"
    assert answer.json()["images"] == [results.to_record(expected, model.class_names,
                                                         image="coffee.png")]
    described = httpx.get(base + "/v1/model", timeout=30)
    assert described.status_code == 200
    assert described.json()["weights"] == os.path.basename(model_path)


def test_detect_beam_with_exported_model_answers_as_runtime(small_exports, tmp_path):
    """detect-beam --model on the DirectRunner: each image's record is the runtime's
    detect() result on it."""
    require_extra("apache_beam", "beam")
    import contextlib
    import io

    from mrcnn_tf import results, runtime
    from mrcnn_tf.cli.main import main

    model_path = small_exports("onnx")
    folder = tmp_path / "images"
    folder.mkdir()
    images = {f"{name}.png": skimage_image(name) for name in ("coffee", "chelsea")}
    for file_name, image in images.items():
        assert cv2.imwrite(str(folder / file_name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    prefix = tmp_path / "out" / "run"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["detect-beam", "--input", str(folder), "--out", str(prefix), "--model",
                       str(model_path), "--batch-size", "1", "--runner", "DirectRunner"])
    assert status == 0, out.getvalue()
    records = [json.loads(line) for path in sorted(prefix.parent.glob("run-detections-*"))
               for line in path.read_text().splitlines() if line.strip()]
    model = runtime.load(model_path)
    assert sorted(os.path.basename(r["image"]) for r in records) == sorted(images)
    for record in records:
        name = os.path.basename(record["image"])
        expected = model.detect([images[name]])[0]
        assert len(expected["class_ids"]) > 0, "nothing detected: the check would be empty"
        assert record["detections"] == results.to_record(expected, model.class_names,
                                                         image=name)["detections"]
