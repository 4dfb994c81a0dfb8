"""Fixtures of the weights tests: the local HTTP server and a clean weights cache per test."""
from __future__ import annotations

import http.server
import threading

import pytest

from tests.weights.local_server import Handler, Server


@pytest.fixture(scope="session")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Server(httpd.server_port)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty (not yet created) cache folder as $MRCNN_TF_HOME; no mirror variables."""
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    for name in ("MRCNN_TF_COCO_URL", "MRCNN_TF_TORCHVISION_V1_URL",
                 "MRCNN_TF_TORCHVISION_V2_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cache"
