"""weights.fetch with a file already in the cache: verified once (size and digest, remembered
in a sidecar), never trusted for its size alone, never deleted when it does not verify."""
from __future__ import annotations

import importlib
import json
import os

import pytest

from mrcnn_tf.weights.verify import sidecar_path
from tests.weights.local_server import leftovers, md5
from tests.weights.test_fetch import BODY, THE_FILE, WRONG_BODY, free_port

fetch_module = importlib.import_module("mrcnn_tf.weights.fetch")  # the module, not the function
DownloadError = fetch_module.DownloadError
NO_SERVER = f"http://127.0.0.1:{free_port()}/never-asked"  # a cached file needs no network


def place(home, body: bytes):
    home.mkdir(exist_ok=True)
    path = home / "mask_rcnn_coco.h5"
    path.write_bytes(body)
    return path


def test_a_file_placed_by_hand_is_verified_once_and_remembered(home, capsys):
    path = place(home, BODY)
    assert fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE) == path
    assert f"checking the MD5 of {path} (once)" in capsys.readouterr().err
    assert fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE) == path
    assert capsys.readouterr().err == "", "the second run uses the remembered digest"
    record = json.loads(sidecar_path(path).read_text())
    stat = path.stat()
    assert record == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "algorithm": "md5",
                      "digest": md5(BODY)[4:]}
    # Later runs trust the record while size and time are unchanged: a file rewritten with the
    # same size and time keeps its recorded digest (that is what makes them fast) ...
    path.write_bytes(WRONG_BODY)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE) == path
    # ... and any change of time is hashed again, and found out.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(DownloadError, match="its MD5 is"):
        fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE)


def test_a_cached_file_of_the_right_size_but_another_digest_is_refused_and_kept(home):
    """Before: any cached file of the published size was used."""
    path = place(home, WRONG_BODY)
    with pytest.raises(DownloadError) as err:
        fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE)
    message = str(err.value)
    for words in (str(path), "right size", f"MD5 is {md5(WRONG_BODY)[4:]}", md5(BODY)[4:],
                  "left as it is", "--force", f"--weights {path}"):
        assert words in message, message
    assert "\n" not in message
    assert path.read_bytes() == WRONG_BODY, "a file the user put there is never deleted"
    with pytest.raises(DownloadError, match="its MD5 is"):  # the same answer next time
        fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE)


def test_a_cached_file_of_the_wrong_size_is_refused_and_kept(home):
    path = place(home, b"partial")
    with pytest.raises(DownloadError, match=r"is 7 bytes, and the published mask_rcnn_coco.h5 "
                                            rf"is {len(BODY):,} bytes.*--force"):
        fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE)
    assert path.read_bytes() == b"partial"


def test_force_replaces_a_cached_file_that_does_not_verify(server, home):
    server.serve("/cache-ok", BODY)
    path = place(home, WRONG_BODY)
    assert fetch_module.fetch("coco", url=server.url("/cache-ok"), **THE_FILE, force=True,
                              progress=False) == path
    assert path.read_bytes() == BODY
    assert leftovers(home) == ["mask_rcnn_coco.h5", "mask_rcnn_coco.h5.verified"]
    assert fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE) == path


def test_a_failed_forced_download_keeps_the_cached_file(home):
    path = place(home, BODY)
    with pytest.raises(DownloadError, match="cannot download"):
        fetch_module.fetch("coco", url=NO_SERVER, **THE_FILE, force=True, progress=False)
    assert path.read_bytes() == BODY
