"""weights.fetch against a local HTTP server on 127.0.0.1: success, cache, and failures that
leave nothing behind."""
from __future__ import annotations

import collections
import http.server
import importlib
import io
import json
import threading
from pathlib import Path

import h5py
import numpy as np
import pytest

from mrcnn_tf.class_names import COCO_CLASS_NAMES
from tests.helpers import REPO

fetch_module = importlib.import_module("mrcnn_tf.weights.fetch")
DownloadError = fetch_module.DownloadError


def small_weights_file() -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["layer_names"] = np.array([b"conv1"], dtype="S")
        group = f.create_group("conv1")
        group.attrs["weight_names"] = np.array([b"conv1/kernel:0"], dtype="S")
        group.create_dataset("conv1/kernel:0", data=np.arange(5000, dtype=np.float32))
    return buffer.getvalue()


BODY = small_weights_file()


class Handler(http.server.BaseHTTPRequestHandler):
    """/ok: the file; /missing: 404; /truncated: announces the full size, sends half;
    /unsized: the file without Content-Length; /junk: the right size, not HDF5."""

    requests = collections.Counter()

    def do_GET(self):
        Handler.requests[self.path] += 1
        if self.path == "/missing":
            self.send_error(404, "Not Found")
            return
        body = b"x" * len(BODY) if self.path == "/junk" else BODY
        self.send_response(200)
        if self.path != "/unsized":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2] if self.path == "/truncated" else body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MRCNN_TF_COCO_URL", raising=False)
    return tmp_path / "cache"


def leftovers(directory: Path) -> list:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_download_once_then_use_the_cache(server, home, monkeypatch):
    monkeypatch.setenv("MRCNN_TF_COCO_URL", f"{server}/ok")
    before = Handler.requests["/ok"]
    path = fetch_module.fetch("coco", expected_size=len(BODY))
    assert path == home / "mask_rcnn_coco.h5"
    assert path.read_bytes() == BODY
    assert leftovers(home) == ["mask_rcnn_coco.h5"]
    assert Handler.requests["/ok"] == before + 1
    assert fetch_module.fetch("coco", expected_size=len(BODY)) == path
    assert Handler.requests["/ok"] == before + 1, "the cached file must be used without a request"
    fetch_module.fetch("coco", expected_size=len(BODY), force=True, progress=False)
    assert Handler.requests["/ok"] == before + 2


def test_a_cached_file_of_the_wrong_size_is_replaced(server, home):
    home.mkdir()
    (home / "mask_rcnn_coco.h5").write_bytes(b"partial")
    path = fetch_module.fetch("coco", url=f"{server}/ok", expected_size=len(BODY),
                              progress=False)
    assert path.read_bytes() == BODY


@pytest.mark.parametrize("route, message", [
    ("/missing", r"HTTP 404"),
    ("/truncated", r"cut off after [\d,]+ of [\d,]+ bytes"),
    ("/junk", r"did not send a Keras HDF5 weights file"),
])
def test_failures_leave_nothing_behind(server, home, route, message):
    with pytest.raises(DownloadError, match=message) as err:
        fetch_module.fetch("coco", url=f"{server}{route}", expected_size=len(BODY),
                           progress=False)
    assert f"{server}{route}" in str(err.value)
    assert leftovers(home) == []


def test_wrong_size_is_refused_before_downloading(server, home):
    with pytest.raises(DownloadError, match=f"offers {len(BODY):,} bytes but mask_rcnn_coco.h5 "
                                            f"is {len(BODY) + 1:,} bytes"):
        fetch_module.fetch("coco", url=f"{server}/ok", expected_size=len(BODY) + 1)
    assert leftovers(home) == []


def test_wrong_size_without_content_length_is_refused_after(server, home):
    with pytest.raises(DownloadError, match=f"sent {len(BODY):,} bytes but"):
        fetch_module.fetch("coco", url=f"{server}/unsized", expected_size=len(BODY) - 1,
                           progress=False)
    assert leftovers(home) == []


def test_the_published_size_is_checked_by_default(server, home):
    with pytest.raises(DownloadError, match="is 257,557,808 bytes"):
        fetch_module.fetch("coco", url=f"{server}/ok")
    assert leftovers(home) == []


def test_unreachable_server(home):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot download"):
        fetch_module.fetch("coco", url=f"http://127.0.0.1:{port}/x", expected_size=10)
    assert leftovers(home) == []


def test_cache_location_and_names(tmp_path, monkeypatch):
    monkeypatch.delenv("MRCNN_TF_HOME", raising=False)
    assert fetch_module.cache_dir() == Path.home() / ".cache" / "mrcnn_tf"
    monkeypatch.setenv("MRCNN_TF_HOME", str(tmp_path))
    assert fetch_module.cached_path("COCO") == tmp_path / "mask_rcnn_coco.h5"
    with pytest.raises(ValueError, match="unknown published weights 'imagenet'; known: coco"):
        fetch_module.fetch("imagenet")


def test_resolve_weights(tmp_path):
    existing = tmp_path / "w.h5"
    existing.write_bytes(BODY)
    assert fetch_module.resolve_weights(existing) == existing
    with pytest.raises(FileNotFoundError, match="'nope.h5' does not exist.*'coco'"):
        fetch_module.resolve_weights("nope.h5")


def test_weights_folder_describes_the_published_files():
    with open(REPO / "weights" / "published.json") as f:
        published = json.load(f)
    assert set(published) == set(fetch_module.PUBLISHED)
    for name, facts in published.items():
        spec = fetch_module.PUBLISHED[name]
        assert (facts["file"], facts["url"], facts["size"], facts["url_env"], facts["backbone"],
                facts["num_classes"]) == (spec.filename, spec.url, spec.size, spec.url_env,
                                          spec.backbone, spec.num_classes)
    names = (REPO / "weights" / "coco_classes.txt").read_text().splitlines()
    assert tuple(names) == COCO_CLASS_NAMES
    assert fetch_module.COCO.size == 257_557_808
