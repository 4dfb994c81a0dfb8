"""mrcnn-tf weights info|fetch."""
from __future__ import annotations

import http.server
import json
import threading

import pytest

from mrcnn_tf.cli.main import main


def test_info_describes_a_file(r50_weights, capsys):
    assert main(["weights", "info", str(r50_weights)]) == 0
    out = capsys.readouterr().out
    assert "resnet50" in out and "81 (NUM_CLASSES" in out and "384 tensors" in out
    assert main(["weights", "info", str(r50_weights), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert (facts["backbone"], facts["num_classes"]) == ("resnet50", 81)
    assert facts["size_bytes"] == r50_weights.stat().st_size


def test_info_errors_are_one_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"hello")
    assert main(["weights", "info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a readable HDF5 file" in err
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "empty_cache"))
    assert main(["weights", "info", "coco"]) == 1
    assert "mrcnn-tf weights fetch coco" in capsys.readouterr().err


class Small(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        pass


@pytest.fixture
def small_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Small)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/mask_rcnn_coco.h5"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_from_a_mirror_with_the_wrong_file(small_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MRCNN_TF_COCO_URL", small_server)
    assert main(["weights", "fetch", "coco", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "offers 5 bytes" in err and "257,557,808" in err
    assert not (tmp_path / "cache").exists(), "no empty cache folder is left behind"


def test_info_describes_a_torchvision_state_dict(tmp_path, capsys):
    import numpy as np

    from tests.weights.test_info import tiny_torchvision_state_dict

    path = tmp_path / "maskrcnn_v2.npz"
    np.savez(path, **tiny_torchvision_state_dict("v2"))
    assert main(["weights", "info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "torchvision v2 (maskrcnn_resnet50_fpn_v2)" in out and "91 (NUM_CLASSES" in out
    assert "resnet50" in out and "432 tensors" in out
    assert main(["weights", "info", str(path), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert (facts["family"], facts["version"], facts["num_classes"]) == ("torchvision", "v2", 91)


def test_fetch_torchvision_uses_the_verified_cache(tmp_path, monkeypatch, capsys):
    from mrcnn_tf.weights.published import TORCHVISION_V2
    from tests.weights.local_server import place_verified_stand_in

    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    path = place_verified_stand_in(tmp_path / "cache", TORCHVISION_V2)
    assert main(["weights", "fetch", "torchvision-v2", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(path)


def test_fetch_torchvision_from_a_mirror_with_the_wrong_file(small_server, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MRCNN_TF_TORCHVISION_V1_URL", small_server)
    assert main(["weights", "fetch", "torchvision-v1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "offers 5 bytes" in err and "178,090,079" in err
    assert not (tmp_path / "cache").exists()


def test_weights_option_resolves_torchvision_names(tmp_path, monkeypatch):
    from mrcnn_tf.cli.model_setup import SetupError, resolve_weights
    from mrcnn_tf.weights.published import TORCHVISION_V1
    from tests.weights.local_server import place_verified_stand_in

    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("MRCNN_TF_TORCHVISION_V2_URL", "http://127.0.0.1:1/unreachable")
    path = place_verified_stand_in(tmp_path / "cache", TORCHVISION_V1)
    assert resolve_weights("torchvision-v1", quiet=True) == path
    with pytest.raises(SetupError, match="cannot download.*--weights PATH.*"
                                         "MRCNN_TF_TORCHVISION_V2_URL"):
        resolve_weights("torchvision-v2", quiet=True)
