"""weights.fetch against a local HTTP server on 127.0.0.1: success, size and digest checks
before the file is kept, and failures that leave nothing behind and say what to do next."""
from __future__ import annotations

import importlib
import io
import socket

import h5py
import numpy as np
import pytest

from tests.weights.local_server import leftovers, md5

fetch_module = importlib.import_module("mrcnn_tf.weights.fetch")  # the module, not the function
DownloadError = fetch_module.DownloadError


def small_weights_file(start=0) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["layer_names"] = np.array([b"conv1"], dtype="S")
        group = f.create_group("conv1")
        group.attrs["weight_names"] = np.array([b"conv1/kernel:0"], dtype="S")
        group.create_dataset("conv1/kernel:0", data=np.arange(start, start + 5000,
                                                              dtype=np.float32))
    return buffer.getvalue()


BODY = small_weights_file()
# Another Keras weights file of exactly the same size: only the digest tells them apart.
WRONG_BODY = small_weights_file(start=1)
THE_FILE = dict(expected_size=len(BODY), expected_digest=md5(BODY))


@pytest.fixture(scope="module")
def routes(server):
    server.serve("/ok", BODY)
    server.serve("/missing", b"", status=404)
    server.serve("/truncated", BODY, truncate=True)
    server.serve("/unsized", BODY, send_length=False)
    server.serve("/junk", b"x" * len(BODY))
    server.serve("/padded", WRONG_BODY)
    return server


def test_download_once_then_use_the_cache(routes, home, monkeypatch):
    monkeypatch.setenv("MRCNN_TF_COCO_URL", routes.url("/ok"))
    before = routes.requests("/ok")
    path = fetch_module.fetch("coco", **THE_FILE)
    assert path == home / "mask_rcnn_coco.h5"
    assert path.read_bytes() == BODY
    assert leftovers(home) == ["mask_rcnn_coco.h5", "mask_rcnn_coco.h5.verified"]
    assert routes.requests("/ok") == before + 1
    assert fetch_module.fetch("coco", **THE_FILE) == path
    assert routes.requests("/ok") == before + 1, "the cached file must be used without a request"
    fetch_module.fetch("coco", **THE_FILE, force=True, progress=False)
    assert routes.requests("/ok") == before + 2


def test_a_wrong_file_of_the_right_size_is_refused_before_it_is_kept(routes, home):
    """The issue's case: a wrong file padded to the published size passed the size check."""
    assert len(WRONG_BODY) == len(BODY) and WRONG_BODY != BODY
    with pytest.raises(DownloadError) as err:
        fetch_module.fetch("coco", url=routes.url("/padded"), **THE_FILE, progress=False)
    message = str(err.value)
    assert "MD5" in message and md5(WRONG_BODY)[4:] in message and md5(BODY)[4:] in message
    assert "nothing saved" in message and "MRCNN_TF_COCO_URL" in message
    assert leftovers(home) == []


def test_the_published_md5_is_checked_by_default(routes, home):
    assert fetch_module.COCO.digest.algorithm == "md5"
    assert fetch_module.COCO.digest.value == "e98aaff6f99e307b5e2a8a3ff741a518"
    with pytest.raises(DownloadError, match="e98aaff6f99e307b5e2a8a3ff741a518"):
        fetch_module.fetch("coco", url=routes.url("/ok"), expected_size=len(BODY),
                           progress=False)
    assert leftovers(home) == []


@pytest.mark.parametrize("route, message", [
    ("/missing", r"HTTP 404"),
    ("/truncated", r"cut off after [\d,]+ of [\d,]+ bytes"),
    ("/junk", r"did not send a Keras HDF5 weights file"),
])
def test_failures_leave_nothing_behind(routes, home, route, message):
    with pytest.raises(DownloadError, match=message) as err:
        fetch_module.fetch("coco", url=routes.url(route), expected_size=len(BODY),
                           expected_digest=md5(b"x" * len(BODY) if route == "/junk" else BODY),
                           progress=False)
    assert routes.url(route) in str(err.value)
    assert not home.exists(), "the cache folder fetch created must not stay behind, empty"


def test_wrong_size_is_refused_before_downloading(routes, home):
    with pytest.raises(DownloadError, match=f"offers {len(BODY):,} bytes but mask_rcnn_coco.h5 "
                                            f"is {len(BODY) + 1:,} bytes"):
        fetch_module.fetch("coco", url=routes.url("/ok"), expected_size=len(BODY) + 1)
    assert leftovers(home) == []


def test_wrong_size_without_content_length_is_refused_after(routes, home):
    with pytest.raises(DownloadError, match=f"sent {len(BODY):,} bytes but"):
        fetch_module.fetch("coco", url=routes.url("/unsized"), expected_size=len(BODY) - 1,
                           progress=False)
    assert leftovers(home) == []


def test_the_published_size_is_checked_by_default(routes, home):
    with pytest.raises(DownloadError, match="is 257,557,808 bytes"):
        fetch_module.fetch("coco", url=routes.url("/ok"))
    assert leftovers(home) == []


def free_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_says_what_to_do_next_and_leaves_no_folder(home):
    url = f"http://127.0.0.1:{free_port()}/x"
    with pytest.raises(DownloadError, match="cannot download") as err:
        fetch_module.fetch("coco", url=url, expected_size=10)
    message = str(err.value)
    assert "\n" not in message
    for words in ("--weights PATH", "MRCNN_TF_COCO_URL", fetch_module.COCO.url,
                  str(home / "mask_rcnn_coco.h5")):
        assert words in message, message
    assert not home.exists()


def test_a_folder_that_was_there_is_kept(home):
    home.mkdir()
    (home / "mine.txt").write_text("a file of the user's")
    with pytest.raises(DownloadError):
        fetch_module.fetch("coco", url=f"http://127.0.0.1:{free_port()}/x", expected_size=10)
    assert leftovers(home) == ["mine.txt"]
    nested = home / "empty" / "deeper"
    with pytest.raises(DownloadError):
        fetch_module.fetch("coco", directory=nested, url=f"http://127.0.0.1:{free_port()}/x",
                           expected_size=10)
    assert leftovers(home) == ["mine.txt"], "both folders fetch created are removed"


def test_resolve_weights(tmp_path):
    existing = tmp_path / "w.h5"
    existing.write_bytes(BODY)
    assert fetch_module.resolve_weights(existing) == existing
    with pytest.raises(FileNotFoundError, match="'nope.h5' does not exist.*'coco'"):
        fetch_module.resolve_weights("nope.h5")
