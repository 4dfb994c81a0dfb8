"""Download published weights once into a cache: ``fetch("coco")`` -> path of mask_rcnn_coco.h5.

Cache folder: ``$MRCNN_TF_HOME``, else ``~/.cache/mrcnn_tf``. The download goes to a
temporary name (``<file>.partial.<random>``) in that folder, and becomes ``<file>`` only when
it is complete: every byte the server announced arrived, the size is the published size, and
the file opens as a Keras weights HDF5 file. On any failure (HTTP error, cut-off transfer,
wrong size, not HDF5, Ctrl-C) the temporary file is deleted and ``DownloadError`` says what
happened; nothing that looks complete is left behind. A file already in the cache with the
right size is used without any network access.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from mrcnn_tf.weights.h5file import COCO_WEIGHTS_SIZE, open_weights_file

CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 60  # per network operation, not for the whole download


@dataclasses.dataclass(frozen=True)
class PublishedWeights:
    """A published weights file: where it is, its size and what it was trained for."""

    name: str
    filename: str
    url: str
    size: int
    url_env: str  # environment variable that overrides the URL (mirrors)
    backbone: str
    num_classes: int


COCO = PublishedWeights(
    name="coco", filename="mask_rcnn_coco.h5",
    url="https://github.com/matterport/Mask_RCNN/releases/download/v2.0/mask_rcnn_coco.h5",
    size=COCO_WEIGHTS_SIZE, url_env="MRCNN_TF_COCO_URL", backbone="resnet101", num_classes=81)
PUBLISHED = {COCO.name: COCO}


class DownloadError(RuntimeError):
    """A download failed; the message names the URL and what went wrong."""


def cache_dir() -> Path:
    """``$MRCNN_TF_HOME`` if set, else ``~/.cache/mrcnn_tf``."""
    home = os.environ.get("MRCNN_TF_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "mrcnn_tf"


def published(name: str) -> PublishedWeights:
    """The PublishedWeights called name ("coco"); ValueError listing the known names."""
    try:
        return PUBLISHED[name.lower()]
    except KeyError:
        raise ValueError(f"unknown published weights {name!r}; known: "
                         f"{', '.join(PUBLISHED)}") from None


def cached_path(name: str = "coco", *, directory=None) -> Path:
    """Where fetch(name) keeps the file (it may not exist yet)."""
    return Path(directory or cache_dir()) / published(name).filename


def fetch(name: str = "coco", *, directory=None, url=None, expected_size=None, progress=True,
          force=False) -> Path:
    """Path of the published weights ``name``, downloading them on first use.

    directory: cache folder (default cache_dir()). url: download address (default: the
    ``MRCNN_TF_COCO_URL`` environment variable, else the release URL). expected_size: bytes
    the file must have (default the published size). progress: show a tqdm progress bar on
    stderr. force: download even when the cache holds the file.
    Raises DownloadError (network, HTTP, size or format problems) or OSError (disk).
    """
    spec = published(name)
    size = spec.size if expected_size is None else int(expected_size)
    target = cached_path(name, directory=directory)
    if not force and target.is_file() and target.stat().st_size == size:
        return target
    url = url or os.environ.get(spec.url_env) or spec.url
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < size:
        raise DownloadError(f"not enough disk space in {target.parent} for {spec.filename}: "
                            f"need {size:,} bytes, {free:,} free")
    if progress:
        print(f"downloading {spec.filename} ({size / 2**20:.0f} MiB, first use only) from {url} "
              f"into {target.parent}", file=sys.stderr)
    _download(url, target, size, progress)
    return target


def _download(url: str, target: Path, size: int, progress: bool) -> None:
    """Download url to target through a temporary file; see the module docstring."""
    request = urllib.request.Request(url, headers={"User-Agent": "mrcnn_tf"})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as err:
        raise DownloadError(f"download of {url} failed: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(f"cannot download {url}: {reason}") from None
    with response:
        announced = response.headers.get("Content-Length")
        announced = int(announced) if announced and announced.isdigit() else None
        if announced is not None and announced != size:
            raise DownloadError(f"{url} offers {announced:,} bytes but {target.name} is "
                                f"{size:,} bytes — wrong URL or a changed file; nothing saved")
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.partial.")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                received = _copy(response, out, url, announced or size, progress, target.name)
            _check_complete(url, target.name, received, announced, size)
            _check_hdf5(tmp, url)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _copy(response, out, url, total, progress, label) -> int:
    """Copy the response body to out with a progress bar; returns the bytes received."""
    from tqdm import tqdm

    received = 0
    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
              disable=not progress, leave=False) as bar:
        while True:
            try:
                chunk = response.read(CHUNK_BYTES)
            except (OSError, ValueError) as err:  # reset, timeout, IncompleteRead
                raise DownloadError(
                    f"download of {url} was interrupted after {received:,} bytes ({err}); "
                    "nothing saved — run again to retry") from None
            if not chunk:
                return received
            out.write(chunk)
            received += len(chunk)
            bar.update(len(chunk))


def _check_complete(url, filename, received, announced, size) -> None:
    if announced is not None and received < announced:
        raise DownloadError(f"download of {url} was cut off after {received:,} of "
                            f"{announced:,} bytes; nothing saved — run again to retry")
    if received != size:
        raise DownloadError(f"{url} sent {received:,} bytes but {filename} is {size:,} bytes "
                            "— wrong URL or a changed file; nothing saved")


def _check_hdf5(path: Path, url: str) -> None:
    try:
        f, _ = open_weights_file(os.fspath(path))
    except (ValueError, OSError) as err:
        raise DownloadError(f"{url} did not send a Keras HDF5 weights file ({err}); "
                            "nothing saved") from None
    f.close()


def resolve_weights(spec, *, progress=True) -> Path:
    """A weights argument as a path: an existing file as is, a published name ("coco")
    fetched into the cache. Raises FileNotFoundError for anything else."""
    path = Path(os.fspath(spec)).expanduser()
    if path.is_file():
        return path
    if str(spec).lower() in PUBLISHED:
        return fetch(str(spec), progress=progress)
    known = " or ".join(repr(n) for n in PUBLISHED)
    raise FileNotFoundError(f"weights file {os.fspath(spec)!r} does not exist (give a path to "
                            f"an .h5 file, or {known} to download published weights)")
