"""Check, before any model is loaded, that an output folder can be created and written.

A run that loads a 250 MB model and processes every image before finding out that it cannot
write a single file wastes the user's time and loses the work; every command checks its
output folders first with ``check_writable``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputFolderError(OSError):
    """An output folder cannot be created or written; the message is one line."""


def check_writable(folder, label: str) -> None:
    """Raise OutputFolderError unless ``folder`` exists and accepts a new file, or can be
    created (its nearest existing ancestor is a folder that accepts a new file).

    label: how the user named it, e.g. "--out 'results'". The check writes and removes one
    hidden empty file (a permission check alone is wrong for root and read-only mounts).
    Nothing else is created.
    """
    folder = Path(folder).expanduser()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(f"{label}: {os.fspath(existing)!r} is not a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=".mrcnn_tf-write-check-", dir=existing)
    except OSError as err:
        where = "" if existing == folder else f" (it would be created in {os.fspath(existing)!r})"
        raise OutputFolderError(f"{label}: cannot write there{where}: "
                                f"{err.strerror or err}") from None
    os.close(handle)
    os.unlink(probe)
