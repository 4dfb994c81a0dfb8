"""fetch("torchvision-v1" | "torchvision-v2") against the local HTTP server: size and SHA-256
(or the prefix the file name carries) checked, the file must open as a torch.save file (zip,
or the legacy format of torchvision's 2019 files), mirrors by
environment variable. Tiny stand-in files replace the 178/186 MB downloads."""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mrcnn_tf.weights.published import TORCHVISION_V1, TORCHVISION_V2, Digest
from mrcnn_tf.weights.state_dict import read_state_dict
from mrcnn_tf.weights.verify import sidecar_path
from tests.helpers import PARITY_DIR
from tests.weights.local_server import leftovers, place_verified_stand_in, sha256
from tests.weights.test_fetch import BODY as HDF5_BODY
from tests.weights.torch_files import contiguous, write_torch_legacy

fetch_module = importlib.import_module("mrcnn_tf.weights.fetch")
DownloadError = fetch_module.DownloadError
PTH = (PARITY_DIR / "torchvision" / "small_state_dict.pth").read_bytes()
PREFIX = hashlib.sha256(PTH).hexdigest()[:8]


def make_legacy_file() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = write_torch_legacy(Path(folder) / "v1.pth", {
            "roi_heads.box_head.fc6.weight": contiguous("0", np.ones((4, 3), np.float32))})
        return path.read_bytes()


# torchvision's 2019 v1 file predates torch's zip format: the legacy format must pass too
LEGACY = make_legacy_file()


@pytest.fixture(scope="module")
def routes(server):
    server.serve("/tv/ok.pth", PTH)
    server.serve("/tv/legacy.pth", LEGACY)
    server.serve("/tv/junk.pth", b"z" * len(PTH))
    server.serve("/tv/keras.h5", HDF5_BODY)
    return server


def test_v1_downloads_once_with_its_sha256_prefix_checked(routes, home):
    before = routes.requests("/tv/ok.pth")
    path = fetch_module.fetch("torchvision-v1", url=routes.url("/tv/ok.pth"),
                              expected_size=len(PTH), expected_digest=f"sha256:{PREFIX}",
                              progress=False)
    assert path == home / "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"
    assert path.read_bytes() == PTH
    assert leftovers(home) == [path.name, path.name + ".verified"]
    assert json.loads(sidecar_path(path).read_text())["digest"] == sha256(PTH)[7:]
    assert set(read_state_dict(path)) >= {"backbone.body.conv1.weight"}
    again = fetch_module.fetch("torchvision-v1", expected_size=len(PTH),
                               expected_digest=f"sha256:{PREFIX}")
    assert again == path and routes.requests("/tv/ok.pth") == before + 1


def test_v1_in_the_legacy_torch_format(routes, home):
    path = fetch_module.fetch("torchvision-v1", url=routes.url("/tv/legacy.pth"),
                              expected_size=len(LEGACY), expected_digest=sha256(LEGACY),
                              progress=False)
    assert path.read_bytes() == LEGACY
    assert read_state_dict(path)["roi_heads.box_head.fc6.weight"].shape == (4, 3)


def test_v2_from_a_mirror_with_a_test_published_weights(routes, home, monkeypatch):
    monkeypatch.setenv("MRCNN_TF_TORCHVISION_V2_URL", routes.url("/tv/ok.pth"))
    spec = dataclasses.replace(TORCHVISION_V2, size=len(PTH),
                               digest=Digest("sha256", hashlib.sha256(PTH).hexdigest()))
    path = fetch_module.fetch(spec, progress=False)
    assert path == home / "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth"
    assert path.read_bytes() == PTH


def test_another_sha256_prefix_is_refused(routes, home):
    with pytest.raises(DownloadError) as err:
        fetch_module.fetch("torchvision-v1", url=routes.url("/tv/ok.pth"),
                           expected_size=len(PTH), progress=False)  # the published bf2d0c1e
    message = str(err.value)
    assert f"SHA256 is {sha256(PTH)[7:]}" in message and "SHA256 bf2d0c1e..." in message
    assert "MRCNN_TF_TORCHVISION_V1_URL" in message and "nothing saved" in message
    assert not home.exists()


@pytest.mark.parametrize("route", ["/tv/junk.pth", "/tv/keras.h5"])
def test_a_pth_must_open_as_a_torch_file(routes, home, route):
    body = b"z" * len(PTH) if route == "/tv/junk.pth" else HDF5_BODY
    with pytest.raises(DownloadError, match=r"did not send a torch.save file \(\.pth\)"):
        fetch_module.fetch("torchvision-v2", url=routes.url(route), expected_size=len(body),
                           expected_digest=sha256(body), progress=False)
    assert not home.exists()


def test_coco_must_open_as_keras_hdf5(routes, home):
    with pytest.raises(DownloadError, match="did not send a Keras HDF5 weights file"):
        fetch_module.fetch("coco", url=routes.url("/tv/ok.pth"), expected_size=len(PTH),
                           expected_digest="md5:" + hashlib.md5(PTH).hexdigest(),
                           progress=False)


def test_the_published_sizes_are_checked_by_default(routes, home):
    for spec in (TORCHVISION_V1, TORCHVISION_V2):
        with pytest.raises(DownloadError, match=f"is {spec.size:,} bytes"):
            fetch_module.fetch(spec.name, url=routes.url("/tv/ok.pth"))
    assert not home.exists()


def test_resolve_weights_gives_the_cached_file_of_a_published_name(home):
    path = place_verified_stand_in(home, TORCHVISION_V2)
    assert fetch_module.resolve_weights("torchvision-v2", progress=False) == path
    assert fetch_module.resolve_weights(path) == path
