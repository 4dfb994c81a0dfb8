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
