"""mrcnn-tf train: bad arguments and unusable data (one line, exit 2, no model built), bad
entries counted and reported, an end-to-end run on tiny shapes data (outputs, class names
in every checkpoint, --resume at the right epoch), fine-tuning either family's weights of
another class count (heads re-initialized) with `mrcnn-tf detect` naming the shapes, and
--weights coco through the download code against a local HTTP server."""
from __future__ import annotations

import http.server
import importlib.util
import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from mrcnn_tf.cli.main import main
from tests.helpers import REPO, require_extra

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

SHAPES = ("BG", "square", "circle", "triangle")
# a tiny model (tests.helpers.tiny_backbone, narrow heads) at 64x64: seconds a step
TINY_CONFIG = """\
NAME: tiny
BACKBONE: tests.helpers:tiny_backbone
RPN_ANCHOR_SCALES: [8, 16, 32, 64, 128]
TRAIN_ROIS_PER_IMAGE: 16
POST_NMS_ROIS_TRAINING: 100
POST_NMS_ROIS_INFERENCE: 50
MAX_GT_INSTANCES: 6
TOP_DOWN_PYRAMID_SIZE: 32
FPN_CLASSIF_FC_LAYERS_SIZE: 64
MASK_POOL_SIZE: 7
MASK_SHAPE: [14, 14]
"""


def _make_coco():
    spec = importlib.util.spec_from_file_location(
        "make_coco", REPO / "samples" / "shapes" / "make_coco.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shapes_coco(folder, count=6, size=64, seed=0, name="train") -> str:
    """make_coco's shapes data; returns the --data value."""
    _make_coco().write_coco(folder, count, size=size, seed=seed, name=name)
    return f"{folder / (name + '.json')}:{folder / name}"


def spoil(folder, name="train"):
    """Add one of each bad entry to make_coco's data: an empty box, a box outside the image, a
    2-point polygon, a crowd RLE, a missing image and an unreadable image."""
    path = folder / f"{name}.json"
    data = json.loads(path.read_text())
    first = data["images"][0]
    size = (first["height"], first["width"])
    poly = [[2, 2, 20, 2, 20, 20, 2, 20]]

    def ann(i, **fields):
        base = {"id": 9000 + i, "image_id": first["id"], "category_id": 1, "iscrowd": 0,
                "segmentation": poly, "area": 100, "bbox": [2, 2, 18, 18]}
        base.update(fields)
        data["annotations"].append(base)

    ann(1, bbox=[5, 5, 0, 10])                                       # empty box
    ann(2, bbox=[size[1] + 10, 5, 10, 10])                           # outside the image
    ann(3, segmentation=[[1, 1, 5, 5]])                              # 2-point polygon
    ann(4, iscrowd=1, segmentation={"size": list(size), "counts": [0, 4, 60]})  # crowd RLE
    data["images"].append({"id": 801, "file_name": "gone.png", "height": 64, "width": 64})
    data["images"].append({"id": 802, "file_name": "broken.png", "height": 64, "width": 64})
    for image_id in (801, 802):
        data["annotations"].append({"id": 9100 + image_id, "image_id": image_id,
                                    "category_id": 2, "iscrowd": 0, "segmentation": poly,
                                    "area": 100, "bbox": [2, 2, 18, 18]})
    (folder / name / "broken.png").write_bytes(b"this is not a png")
    path.write_text(json.dumps(data))


def tiny_config(tmp_path) -> str:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_CONFIG)
    return str(path)


def train(capsys, *argv):
    code = main(["train", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------ bad arguments: one line, exit 2

def _bad_inputs(tmp_path):
    data = tmp_path / "data"
    good = shapes_coco(data, count=2)
    ann, images = good.rsplit(":", 1)
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"images": [}')
    no_categories = tmp_path / "nocat.json"
    content = json.loads(Path(ann).read_text())
    no_categories.write_text(json.dumps({**content, "categories": []}))
    nothing = tmp_path / "nothing.json"
    nothing.write_text(json.dumps({**content, "annotations": []}))
    bad_config = tmp_path / "bad.yaml"
    bad_config.write_text("NUM_CLASES: 3\n")
    return {
        "malformed JSON": (["--data", f"{malformed}:{images}"], "is not valid JSON"),
        "empty categories": (["--data", f"{no_categories}:{images}"], "lists no categories"),
        "missing annotation file": (["--data", f"{tmp_path / 'none.json'}:{images}"],
                                    "does not exist"),
        "missing image folder": (["--data", f"{ann}:{tmp_path / 'nowhere'}"], "does not exist"),
        "no usable annotation": (["--data", f"{nothing}:{images}"], "has a usable annotation"),
        "unknown config field": (["--data", good, "--config", str(bad_config)],
                                 "unknown Config field(s) NUM_CLASES"),
        "missing weights file": (["--data", good, "--weights", str(tmp_path / "w.h5")],
                                 "no such file"),
        "resume without a run": (["--data", good, "--resume"], "has no run to continue"),
    }


CASES = ("malformed JSON", "empty categories", "missing annotation file", "missing image folder",
         "no usable annotation", "unknown config field", "missing weights file",
         "resume without a run")


@pytest.mark.parametrize("case", CASES)
def test_unusable_input_is_one_line_and_exit_2_before_any_model(tmp_path, capsys, monkeypatch,
                                                                  case):
    import mrcnn_tf.model

    def no_model(*args, **kwargs):
        raise AssertionError("a model was built")

    monkeypatch.setattr(mrcnn_tf.model.MaskRCNN, "__init__", no_model)
    argv, words = _bad_inputs(tmp_path)[case]
    code, out, err = train(capsys, *argv, "--out", str(tmp_path / "out"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mrcnn-tf train: error:"), err
    assert words in lines[0]
    assert not (tmp_path / "out" / "checkpoints").exists()


@pytest.mark.parametrize("argv", [["--data", "no-colon.json"],
                                  ["--data", "a.json:b", "--image-size", "100"],
                                  ["--data", "a.json:b", "--layers", "6+"],
                                  ["--data", "a.json:b", "--strategy", "cluster"]])
def test_bad_option_values_exit_2_with_argparse_line(capsys, tmp_path, argv):
    with pytest.raises(SystemExit) as exc:
        main(["train", *argv, "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("mrcnn-tf train: error: argument")


def test_an_existing_run_needs_resume(tmp_path, capsys):
    data = shapes_coco(tmp_path / "data", count=2)
    (tmp_path / "out" / "checkpoints").mkdir(parents=True)
    (tmp_path / "out" / "checkpoints" / "epoch_0001.h5").write_bytes(b"")
    code, _, err = train(capsys, "--data", data, "--out", str(tmp_path / "out"), "--epochs", "1",
                         "--steps-per-epoch", "1", "--image-size", "64", "--quiet",
                         "--config", tiny_config(tmp_path))
    assert code == 2 and "already holds a run: add --resume" in err


# ------------------------------------------------------------ bad entries: counted, reported

def test_bad_entries_are_counted_with_their_first_names(tmp_path):
    from mrcnn_tf.cli.train import data_report
    from mrcnn_tf.training_job import RunOptions, load_run_data

    data = shapes_coco(tmp_path / "data", count=4)
    spoil(tmp_path / "data")
    loaded = load_run_data(RunOptions(data=data, out=str(tmp_path / "out")))
    skipped = loaded.train.dataset.skipped
    assert skipped["empty box"] == ["annotation 9001"]
    assert skipped["box outside the image"] == ["annotation 9002"]
    assert skipped["polygon with fewer than 3 points"] == ["annotation 9003"]
    assert skipped["crowd annotation"] == ["annotation 9004"]
    assert skipped["missing image file"] == ["gone.png"]
    assert skipped["unreadable image file"] == ["broken.png"]
    assert loaded.train.with_instances == 4 and loaded.class_names == SHAPES
    report = data_report(loaded)
    assert "train: 4 of 4 images used" in report
    assert "1  unreadable image file: broken.png" in report
    assert "1  missing image file: gone.png" in report


# ------------------------------------------------------------ end to end

def test_train_writes_the_run_and_resume_continues_at_the_next_epoch(tmp_path, capsys):
    from mrcnn_tf.weights.h5file import read_class_names

    data = shapes_coco(tmp_path / "data", count=6)
    spoil(tmp_path / "data")
    val = shapes_coco(tmp_path / "data", count=3, seed=5, name="val")
    out = tmp_path / "run"
    common = ["--data", data, "--val", val, "--weights", "none", "--image-size", "64",
              "--batch-size", "2", "--steps-per-epoch", "2", "--config", tiny_config(tmp_path),
              "--out", str(out), "--quiet", "--keep", "1"]
    code, stdout, err = train(capsys, *common, "--epochs", "1")
    assert code == 0, err
    for path in ("final.h5", "run.json", "checkpoints/epoch_0001.h5", "checkpoints/best.h5",
                 "backup/local/training_metadata.json"):
        assert (out / path).is_file(), path
    for path in ("final.h5", "checkpoints/epoch_0001.h5", "checkpoints/best.h5"):
        assert read_class_names(out / path) == SHAPES, path
    assert "train: 6 of 6 images used" in stdout
    assert "skipped        1 unreadable image file (broken.png)" in stdout
    assert "skipped        1 crowd annotation (annotation 9004)" in stdout
    assert "epochs         up to 1 of 1" in stdout
    assert "s a step (median of 2)" in stdout
    assert "mask mAP@0.5" in stdout and "final losses   loss " in stdout
    summary = json.loads((out / "run.json").read_text())["summary"]
    assert summary["last_epoch"] == 1 and summary["evaluation"]["images"] == 3
    require_extra("tensorboard", "train")
    assert list((out / "logs").rglob("events.out.tfevents.*")), "no TensorBoard events"

    code, stdout, err = train(capsys, *common, "--epochs", "3", "--resume")
    assert code == 0, err
    assert "epochs 2-3; resuming from" in stdout and "BackupAndRestore" in stdout
    assert "median of 4)" in stdout  # epochs 2 and 3 only
    assert sorted(p.name for p in (out / "checkpoints").glob("epoch_*.h5")) == \
        ["epoch_0003.h5"]  # --keep 1
    assert json.loads((out / "backup/local/training_metadata.json").read_text())["epoch"] == 3
    assert json.loads((out / "run.json").read_text())["summary"]["last_epoch"] == 3


def test_resume_from_a_checkpoint_without_backup_starts_after_its_epoch(tmp_path, capsys):
    import shutil

    data = shapes_coco(tmp_path / "data", count=4)
    out = tmp_path / "run"
    common = ["--data", data, "--weights", "none", "--image-size", "64", "--batch-size", "2",
              "--steps-per-epoch", "1", "--config", tiny_config(tmp_path), "--out", str(out),
              "--quiet"]
    assert train(capsys, *common, "--epochs", "2")[0] == 0
    shutil.rmtree(out / "backup")
    (out / "checkpoints" / "epoch_0002.h5").unlink()  # as if killed during epoch 2
    code, stdout, err = train(capsys, *common, "--epochs", "2", "--resume")
    assert code == 0, err
    assert "epochs 2-2; resuming from" in stdout and "epoch_0001.h5" in stdout
    assert (out / "checkpoints" / "epoch_0002.h5").is_file()


def _detected_names(tmp_path, weights, image_dim):
    image = cv2.imread(str(next((tmp_path / "data" / "train").glob("*.png"))))
    folder = tmp_path / "pictures"
    folder.mkdir()
    cv2.imwrite(str(folder / "shape.png"), image)
    code = main(["detect", str(folder / "shape.png"), "--weights", str(weights), "--out",
                 str(tmp_path / "detected"), "--image-max-dim", str(image_dim),
                 "--image-min-dim", str(image_dim), "--min-score", "0"])
    assert code == 0
    record = json.loads((tmp_path / "detected" / "shape.json").read_text())
    return {d["class_name"] for d in record["detections"]}


def test_finetune_matterport_weights_of_another_class_count_and_detect_names(
        tmp_path, capsys, r50_weights):
    import mrcnn_tf

    data = shapes_coco(tmp_path / "data", count=2, size=64)
    out = tmp_path / "run"
    code, stdout, err = train(capsys, "--data", data, "--weights", str(r50_weights),
                              "--image-size", "64", "--batch-size", "1", "--epochs", "1",
                              "--steps-per-epoch", "1", "--out", str(out), "--quiet")
    assert code == 0, err
    assert "heads re-initialized:" in stdout and "has 81 classes, the data 4" in stdout
    assert "heads layers, sgd" in stdout
    assert mrcnn_tf.MaskRCNN.from_weights(out / "final.h5", IMAGE_MIN_DIM=64,
                                          IMAGE_MAX_DIM=64).class_names == SHAPES
    names = _detected_names(tmp_path, out / "final.h5", 64)
    assert names and names <= set(SHAPES[1:])


def test_finetune_torchvision_weights_of_another_class_count_and_detect_names(
        tmp_path, capsys, tv_v2_weights):
    import mrcnn_tf

    data = shapes_coco(tmp_path / "data", count=2, size=64)
    out = tmp_path / "run"
    code, stdout, err = train(capsys, "--data", data, "--weights", str(tv_v2_weights),
                              "--image-size", "64", "--batch-size", "1", "--epochs", "1",
                              "--steps-per-epoch", "1", "--out", str(out), "--quiet")
    assert code == 0, err
    assert "heads re-initialized:" in stdout and "has 91 classes, the data 4" in stdout
    assert "roi_heads.box_predictor.cls_score" in stdout
    # `mrcnn-tf detect` does not read a torchvision-family HDF5 checkpoint (cli.model_setup
    # asks weights.info, which knows matterport's layout only); the Python API does
    model = mrcnn_tf.MaskRCNN.from_weights(out / "final.h5", IMAGE_MIN_DIM=64, IMAGE_MAX_DIM=64,
                                           DETECTION_MIN_CONFIDENCE=0.0)
    assert model.family.name == "torchvision" and model.class_names == SHAPES
    image = cv2.imread(str(next((tmp_path / "data" / "train").glob("*.png"))))
    result = model.detect([image[..., ::-1]])[0]
    names = {model.class_names[i] for i in result["class_ids"]}
    assert names and names <= set(SHAPES[1:])


# ------------------------------------------------------------ --weights coco: the download code

class _Garbage(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):
        _Garbage.requests.append(self.path)
        body = b"not the COCO weights"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_coco_weights_go_through_the_verified_download(tmp_path, capsys, monkeypatch):
    import mrcnn_tf.model

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
        monkeypatch.setenv("MRCNN_TF_COCO_URL",
                           f"http://127.0.0.1:{httpd.server_port}/mask_rcnn_coco.h5")
        monkeypatch.setattr(mrcnn_tf.model.MaskRCNN, "__init__",
                            lambda *a, **k: (_ for _ in ()).throw(AssertionError("built")))
        data = shapes_coco(tmp_path / "data", count=2)
        code, _, err = train(capsys, "--data", data, "--weights", "coco", "--out",
                             str(tmp_path / "out"))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert _Garbage.requests == ["/mask_rcnn_coco.h5"]
    assert code == 1
    lines = err.strip().splitlines()  # the download's notice, then the one-line error
    assert lines[0].startswith("downloading mask_rcnn_coco.h5") and len(lines) == 2, err
    assert lines[1].startswith("mrcnn-tf train: ") and "nothing saved" in lines[1]
    assert not list((tmp_path / "cache").rglob("*.h5"))  # nothing unverified kept
