"""A third family registered from the test suite alone (tests/families/toy_family.py): detect(),
the command line's drawing, video, the export, Beam and serve run it unchanged. This is the
proof that the family seam holds: nothing in mrcnn_tf names the toy family."""
from __future__ import annotations

import contextlib
import glob
import io
import json
import os

import cv2
import numpy as np
import pytest

from mrcnn_tf.cli.main import main
from mrcnn_tf.families import registry
from mrcnn_tf.model import MaskRCNN
from tests.families.toy_family import SIDE, TOY, ToyConfig, ToyTransform
from tests.helpers import require_extra, skimage_image

NAMES = ["BG", "square", "circle", "triangle"]


@pytest.fixture(scope="module")
def toy():
    """The toy family registered for this module, the registry restored after."""
    before = list(registry.families())
    registry.register(TOY)
    yield TOY
    registry._FAMILIES[:] = before


@pytest.fixture(scope="module")
def toy_weights(toy, tmp_path_factory):
    """Random (seeded) weights of a toy model, saved with its class names."""
    import keras

    keras.utils.set_random_seed(3)
    model = MaskRCNN(mode="inference", config=ToyConfig())
    model.class_names = NAMES
    path = tmp_path_factory.mktemp("toy") / "toy_weights.h5"
    model.save_weights(path)
    return path


@pytest.fixture(scope="module")
def toy_model(toy_weights):
    return MaskRCNN.from_weights(toy_weights)


@pytest.fixture(scope="module")
def images():
    """Two images of other sizes and aspects than the toy's SIDE x SIDE."""
    return {"astronaut": cv2.resize(skimage_image("astronaut"), (300, 200)),
            "coffee": skimage_image("coffee")[:240, 100:420]}


@pytest.fixture(scope="module")
def expected(toy_model, images):
    return {name: toy_model.detect([image])[0] for name, image in images.items()}


@pytest.fixture(scope="module")
def image_folder(images, tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy_images")
    for name, image in images.items():
        cv2.imwrite(str(folder / f"{name}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return folder


def run_cli(argv) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_the_file_builds_the_toy_family(toy_model, toy_weights):
    assert registry.family_for_file(toy_weights) is TOY
    assert toy_model.family is TOY and isinstance(toy_model.config, ToyConfig)
    assert isinstance(toy_model.family.transform(toy_model.config), ToyTransform)
    assert list(toy_model.class_names) == NAMES
    status, out, _ = run_cli(["weights", "info", str(toy_weights)])
    assert status == 0 and "toy (Keras HDF5, stretched input)" in out
    assert "backbone    toy" in out and "classes     4" in out


def test_detect_answers_in_the_original_image(expected, images):
    for name, result in expected.items():
        height, width = images[name].shape[:2]
        count = len(result["class_ids"])
        assert count >= 1, f"{name}: no detections, nothing below is checked"
        assert result["masks"].shape == (height, width, count)
        rois = result["rois"]
        assert (rois[:, :2] >= 0).all() and (rois[:, 2] <= height).all()
        assert (rois[:, 3] <= width).all() and set(result["class_ids"]) <= {1, 2, 3}


def test_stretching_is_the_toy_familys_own_molding(toy_model, images):
    """The molded image is the stretch, not matterport's padded square: a wide image fills
    all SIDE x SIDE pixels (matterport's "square" would pad rows of zeros)."""
    transform = toy_model.family.transform(toy_model.config)
    molded, meta, _ = transform.mold(images["astronaut"])
    assert molded.shape == (1, SIDE, SIDE, 3)
    stretched = cv2.resize(images["astronaut"].astype(np.float32), (SIDE, SIDE))
    np.testing.assert_allclose(molded[0] + toy_model.config.MEAN_PIXEL, stretched, atol=1e-3)
    assert list(meta[0, 7:11]) == [0, 0, SIDE, SIDE]


def test_cli_detect_draws_the_toy_class_names(toy_weights, image_folder, expected, tmp_path):
    status, _, err = run_cli(["detect", str(image_folder), "--weights", str(toy_weights),
                              "--out", str(tmp_path), "--min-score", "0"])
    assert status == 0, err
    for name, result in expected.items():
        with open(tmp_path / f"{name}.json") as f:
            record = json.load(f)
        got = sorted((d["class_name"], d["class_id"]) for d in record["detections"])
        assert got == sorted((NAMES[i], int(i)) for i in result["class_ids"])
        drawn = cv2.imread(str(next(p for p in tmp_path.iterdir()
                                    if p.stem.startswith(name) and p.suffix in (".jpg", ".png"))))
        assert drawn.shape[:2] == result["masks"].shape[:2]


def test_video_runs_the_toy_family(toy_weights, images, tmp_path):
    source = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"MJPG"), 5, (300, 200))
    for shift in range(3):
        writer.write(cv2.cvtColor(np.roll(images["astronaut"], 10 * shift, axis=1),
                                  cv2.COLOR_RGB2BGR))
    writer.release()
    jsonl = tmp_path / "clip.jsonl"
    status, _, err = run_cli(["video", str(source), str(tmp_path / "out.avi"), "--weights",
                              str(toy_weights), "--min-score", "0", "--jsonl", str(jsonl), "-q"])
    assert status == 0, err
    records = [json.loads(line) for line in open(jsonl) if line.strip()]
    assert [r["frame"] for r in records] == [0, 1, 2]
    names = {d["class_name"] for r in records for d in r["detections"]}
    assert names and names <= set(NAMES[1:])


def test_export_gives_detect_results(toy_model, images, expected, tmp_path):
    import tensorflow as tf

    from mrcnn_tf.export import export_saved_model, results_from_serving

    version = export_saved_model(toy_model, tmp_path / "toy_export")
    with open(os.path.join(version, "assets", "class_names.txt")) as f:
        assert f.read().split() == NAMES
    loaded = tf.saved_model.load(version)
    for name, image in images.items():
        outputs = loaded.signatures["serving_image_tensor"](images=tf.constant(image[None]))
        result, = results_from_serving(outputs, [image.shape], family="toy")
        want = expected[name]
        np.testing.assert_array_equal(result["class_ids"], want["class_ids"])
        # OpenCV's and TensorFlow's bilinear stretch agree within float rounding
        assert np.abs(result["rois"] - want["rois"]).max() <= 1
        np.testing.assert_allclose(result["scores"], want["scores"], atol=1e-3)
        overlap = (result["masks"] & want["masks"]).sum() / max((result["masks"]
                                                                 | want["masks"]).sum(), 1)
        assert overlap > 0.98


def test_beam_runs_the_toy_family(toy_weights, image_folder, expected, tmp_path):
    require_extra("apache_beam", "beam")
    prefix = str(tmp_path / "run")
    status, _, err = run_cli(["detect-beam", "--input", str(image_folder / "*.png"), "--out",
                              prefix, "--weights", str(toy_weights), "--min-score", "0",
                              "--batch-size", "1", "--runner", "DirectRunner"])
    assert status == 0, err
    records = [json.loads(line) for path in sorted(glob.glob(f"{prefix}-detections-*.jsonl"))
               for line in open(path) if line.strip()]
    assert len(records) == len(expected)
    for record in records:
        want = expected[os.path.splitext(os.path.basename(record["image"]))[0]]
        got = sorted((d["class_id"], d["class_name"], d["box"]) for d in record["detections"])
        assert got == sorted((int(c), NAMES[c], box) for c, box in
                             zip(want["class_ids"], want["rois"].tolist()))


def test_serve_answers_with_the_toy_family(toy_model, images, expected):
    require_extra("fastapi", "serve")
    from fastapi.testclient import TestClient

    from mrcnn_tf.serve import ModelService, ServeSettings, create_app

    service = ModelService(toy_model).start()
    try:
        assert service.wait_ready(300), service.warmup_error
        app = create_app(service, ServeSettings(class_names=NAMES, weights="toy_weights.h5"),
                         page=False)
        client = TestClient(app, raise_server_exceptions=False)
        png = cv2.imencode(".png", cv2.cvtColor(images["coffee"], cv2.COLOR_RGB2BGR))[1]
        answer = client.post("/v1/detect?min_score=0",
                             files={"image": ("c.png", png.tobytes())})
        assert answer.status_code == 200, answer.text
        detections = answer.json()["images"][0]["detections"]
        want = expected["coffee"]
        assert sorted(d["class_name"] for d in detections) == sorted(
            NAMES[c] for c in want["class_ids"])
    finally:
        service.close(timeout=60)
