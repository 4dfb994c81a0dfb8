"""File digests, computed once per file version and remembered in a sidecar file.

``<file>.verified`` (JSON) beside a cached file records its size, modification time
(nanoseconds), a digest algorithm and the full hex digest. While the file keeps that size and
time the recorded digest is used as it is, so only the first run reads the whole file; a file
that changed in any way is hashed again. The sidecar records the digest, not a verdict, so a
file that does not match the published digest is reported as such on every run (without
hashing it again) until it is replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

CHUNK_BYTES = 1 << 20
SIDECAR_SUFFIX = ".verified"


def file_digest(path, algorithm: str) -> str:
    """The full hex digest (hashlib algorithm name, e.g. "md5", "sha256") of a file."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(path) -> Path:
    """Where the digest of path is remembered: ``<path>.verified``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _stamp(path) -> dict:
    stat = os.stat(path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def recorded_digest(path, algorithm: str) -> str | None:
    """The digest the sidecar remembers for the file as it is now, None when there is no
    sidecar, it is unreadable, or the file's size or modification time changed since."""
    try:
        record = json.loads(sidecar_path(path).read_text())
        stamp = _stamp(path)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("algorithm") != algorithm:
        return None
    if {k: record.get(k) for k in stamp} != stamp:
        return None
    digest = record.get("digest")
    return digest if isinstance(digest, str) else None


def remember_digest(path, algorithm: str, digest: str) -> None:
    """Write the sidecar for path (atomically; a folder that cannot be written is no error:
    the file is then hashed again next time)."""
    record = {**_stamp(path), "algorithm": algorithm, "digest": digest}
    target = sidecar_path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
        os.replace(tmp, target)
    except OSError:
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass


def cached_digest(path, algorithm: str) -> str:
    """The file's full hex digest: from its sidecar when the file is unchanged, else computed
    and remembered."""
    digest = recorded_digest(path, algorithm)
    if digest is None:
        digest = file_digest(path, algorithm)
        remember_digest(path, algorithm, digest)
    return digest
