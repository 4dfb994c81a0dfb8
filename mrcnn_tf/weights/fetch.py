"""Download published weights once into a cache: ``fetch("coco")`` -> path of mask_rcnn_coco.h5
(also "torchvision-v1", "torchvision-v2": torchvision's Mask R-CNN state dicts, ``.pth``).

Cache folder: ``$MRCNN_TF_HOME``, else ``~/.cache/mrcnn_tf``. The download goes to a
temporary name (``<file>.partial.<random>``) in that folder, and becomes ``<file>`` only when
it is complete and verified: every byte the server announced arrived, the size is the
published size, the digest (MD5 for matterport's file, SHA-256 or its published prefix for
torchvision's) is the published one, and the file opens as its format (Keras HDF5 weights, or
a torch zip with a data.pkl). On any failure (HTTP error, cut-off transfer, wrong size or
digest, wrong format, Ctrl-C) the temporary file is deleted, a cache folder that fetch created
and left empty is removed, and ``DownloadError`` says what happened and what to do next.

A file already in the cache is verified once (size and digest) and the digest remembered in
``<file>.verified`` (see weights/verify.py), so later runs need no network and no hashing.
A cached file that does not verify is an error naming the problem and the ways out; it is
never deleted or overwritten unless ``force=True`` (``mrcnn-tf weights fetch NAME --force``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from mrcnn_tf.weights.formats import check_format, describe_kind
from mrcnn_tf.weights.published import (  # noqa: F401 (COCO, cache_dir, ...: public here too)
    COCO, PUBLISHED, TORCHVISION_V1, TORCHVISION_V2, Digest, PublishedWeights, cache_dir,
    cached_path, preset_named, published)
from mrcnn_tf.weights.verify import cached_digest, recorded_digest, remember_digest

CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 60  # per network operation, not for the whole download


class DownloadError(RuntimeError):
    """A download failed, or the cached file does not verify; the message names the URL or
    file, what went wrong and what to do next."""


def fetch(name="coco", *, directory=None, url=None, expected_size=None, expected_digest=None,
          progress=True, force=False) -> Path:
    """Path of the published weights ``name``, downloading them on first use.

    name: "coco", "torchvision-v1", "torchvision-v2", or a PublishedWeights. directory: cache
    folder (default cache_dir()). url: download address (default: the environment variable
    ``spec.url_env``, e.g. MRCNN_TF_COCO_URL, else the published URL). expected_size /
    expected_digest ("md5:<hex>", "sha256:<hex or prefix>" or a Digest): what the file must
    be (default the published size and digest). progress: a tqdm progress bar on stderr.
    force: download even when the cache holds the file (replacing it once verified).
    Raises DownloadError (network, HTTP, size, digest or format problems, or a cached file
    that does not verify) or OSError (disk).
    """
    spec = published(name)
    if expected_size is not None:
        spec = dataclasses.replace(spec, size=int(expected_size))
    if expected_digest is not None:
        spec = dataclasses.replace(spec, digest=Digest.parse(expected_digest))
    target = Path(directory or cache_dir()) / spec.filename
    if not force and target.exists():
        _check_cached(spec, target, progress)
        return target
    url = url or os.environ.get(spec.url_env) or spec.url
    created = _make_folders(target.parent)
    try:
        free = shutil.disk_usage(target.parent).free
        if free < spec.size:
            raise DownloadError(f"not enough disk space in {target.parent} for "
                                f"{spec.filename}: need {spec.size:,} bytes, {free:,} free")
        if progress:
            print(f"downloading {spec.filename} ({spec.size / 2**20:.0f} MiB, first use only) "
                  f"from {url} into {target.parent}", file=sys.stderr)
        _download(spec, url, target, progress)
    except BaseException:
        _remove_if_empty(created)
        raise
    return target


def _make_folders(folder: Path) -> list:
    """mkdir -p folder; returns the folders it created, deepest first."""
    created = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        created.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    return created


def _remove_if_empty(folders) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): keep it and stop there
            return


def next_steps(spec: PublishedWeights, target: Path) -> str:
    """What to do when the download cannot be made: a file you have, a mirror, by hand."""
    return (f"To go on: use a copy of {spec.filename} you already have (--weights PATH, or "
            f"pass its path), set {spec.url_env} to a mirror's URL, or download {spec.url} by "
            f"hand and put it at {target}")


def _check_cached(spec: PublishedWeights, target: Path, progress: bool) -> None:
    """DownloadError unless the cached file has the published size and digest."""
    ways_out = (f"It was left as it is. Delete or move it and run again to download "
                f"{spec.filename}, run 'mrcnn-tf weights fetch {spec.name} --force' to download "
                f"over it, or use the file as it is with --weights {target}")
    size = target.stat().st_size
    if size != spec.size:
        raise DownloadError(f"{target} is in the weights cache but it is {size:,} bytes, and "
                            f"the published {spec.filename} is {spec.size:,} bytes. {ways_out}")
    if progress and recorded_digest(target, spec.digest.algorithm) is None:
        print(f"checking the {spec.digest.algorithm.upper()} of {target} (once)",
              file=sys.stderr)
    digest = cached_digest(target, spec.digest.algorithm)
    if not spec.digest.matches(digest):
        raise DownloadError(f"{target} is in the weights cache with the right size but its "
                            f"{spec.digest.algorithm.upper()} is {digest}, and the published "
                            f"{spec.filename} has {spec.digest}: it is another file. {ways_out}")


def _download(spec: PublishedWeights, url: str, target: Path, progress: bool) -> None:
    """Download url to target through a temporary file; see the module docstring."""
    request = urllib.request.Request(url, headers={"User-Agent": "mrcnn_tf"})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as err:
        raise DownloadError(f"download of {url} failed: HTTP {err.code} {err.reason}. "
                            f"{next_steps(spec, target)}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(f"cannot download {url}: {reason}. "
                            f"{next_steps(spec, target)}") from None
    with response:
        announced = response.headers.get("Content-Length")
        announced = int(announced) if announced and announced.isdigit() else None
        if announced is not None and announced != spec.size:
            raise DownloadError(f"{url} offers {announced:,} bytes but {spec.filename} is "
                                f"{spec.size:,} bytes — wrong URL or a changed file; nothing "
                                "saved")
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.partial.")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.new(spec.digest.algorithm)
            with os.fdopen(fd, "wb") as out:
                received = _copy(response, out, digest, url, announced or spec.size, progress,
                                 spec, target)
            _check_complete(url, spec.filename, received, announced, spec.size)
            _check_digest(url, spec, digest.hexdigest())
            _check_format(tmp, url, spec)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    remember_digest(target, spec.digest.algorithm, digest.hexdigest())


def _copy(response, out, digest, url, total, progress, spec, target) -> int:
    """Copy the response body to out (and into digest) with a progress bar; returns the
    bytes received."""
    from tqdm import tqdm

    received = 0
    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=spec.filename,
              disable=not progress, leave=False) as bar:
        while True:
            try:
                chunk = response.read(CHUNK_BYTES)
            except (OSError, ValueError) as err:  # reset, timeout, IncompleteRead
                raise DownloadError(
                    f"download of {url} was interrupted after {received:,} bytes ({err}); "
                    f"nothing saved — run again to retry. {next_steps(spec, target)}") from None
            if not chunk:
                return received
            out.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            bar.update(len(chunk))


def _check_complete(url, filename, received, announced, size) -> None:
    if announced is not None and received < announced:
        raise DownloadError(f"download of {url} was cut off after {received:,} of "
                            f"{announced:,} bytes; nothing saved — run again to retry")
    if received != size:
        raise DownloadError(f"{url} sent {received:,} bytes but {filename} is {size:,} bytes "
                            "— wrong URL or a changed file; nothing saved")


def _check_digest(url, spec: PublishedWeights, hexdigest: str) -> None:
    if not spec.digest.matches(hexdigest):
        raise DownloadError(
            f"{url} sent {spec.size:,} bytes whose {spec.digest.algorithm.upper()} is "
            f"{hexdigest}, but {spec.filename} has {spec.digest} — a wrong file (a mirror set "
            f"by {spec.url_env}?), a changed release or a damaged transfer; nothing saved")


def _check_format(path: Path, url: str, spec: PublishedWeights) -> None:
    try:
        check_format(path, spec.file_format)
    except (ValueError, OSError) as err:
        raise DownloadError(f"{url} did not send {_format_words(spec)} ({err}); "
                            "nothing saved") from None


def _format_words(spec: PublishedWeights) -> str:
    return ("a Keras HDF5 weights file" if spec.file_format == "keras-h5"
            else describe_kind(spec.file_format))


def resolve_weights(spec, *, progress=True) -> Path:
    """A weights argument as a path: an existing file as is, a published name ("coco",
    "torchvision-v1", "torchvision-v2") fetched into the cache. Raises FileNotFoundError for
    anything else, DownloadError when the download fails."""
    preset = preset_named(spec)
    if preset is not None:
        return fetch(preset, progress=progress)
    path = Path(os.fspath(spec)).expanduser()
    if path.is_file():
        return path
    known = ", ".join(repr(n) for n in PUBLISHED)
    raise FileNotFoundError(f"weights file {os.fspath(spec)!r} does not exist (give a path to "
                            f"a weights file, or one of {known} to download published weights)")
