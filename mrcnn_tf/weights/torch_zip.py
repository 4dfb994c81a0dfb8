"""Read a torch.save zip file (PyTorch >= 1.6) without torch and without running its pickle.

Layout: ``<archive>/data.pkl`` (the pickled object), ``<archive>/data/<key>`` (the raw bytes
of each storage), ``<archive>/byteorder`` ("little" or "big"; absent in old files: little),
``<archive>/version``. A storage is the persistent id ``("storage", torch.FloatStorage, key,
location, numel)``. The pickle is read by weights/torch_pickle.py's restricted unpickler:
only tensor globals, anything else refused (UnsafePickleError) before it runs.
"""
from __future__ import annotations

import io
import os
import pickle
import sys
import zipfile

import numpy as np

from mrcnn_tf.weights.formats import torch_zip_prefix
from mrcnn_tf.weights.torch_pickle import (UnsafePickleError, TensorUnpickler,  # noqa: F401
                                           storage_id, view_of_storage)


class ZipUnpickler(TensorUnpickler):
    """data.pkl with storages read from ``<archive>/data/<key>``."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, path: str):
        super().__init__(io.BytesIO(data), path)
        self.archive, self.prefix = archive, prefix
        self.byteorder = self._byteorder()
        self.storages = {}

    def _byteorder(self) -> str:
        try:
            order = self.archive.read(self.prefix + "byteorder").decode().strip()
        except KeyError:
            return "little"
        if order not in ("little", "big"):
            raise ValueError(f"{self.path}: unknown byteorder record {order!r}")
        return order

    def persistent_load(self, pid):
        storage_type, key, numel = storage_id(pid, self.path, 5)
        if key not in self.storages:
            self.storages[key] = self._read_storage(storage_type, key, numel)
        return self.storages[key]

    def make_tensor(self, storage, storage_offset, size, stride):
        if not isinstance(storage, np.ndarray):
            raise ValueError("a tensor whose storage is not a storage record")
        return view_of_storage(storage, storage_offset, size, stride)

    def _read_storage(self, storage_type, key: str, numel: int) -> np.ndarray:
        dtype = storage_type.dtype
        try:  # read no more than the storage needs (a record may not be what it claims)
            with self.archive.open(f"{self.prefix}data/{key}") as record:
                raw = record.read(numel * dtype.itemsize)
        except KeyError:
            raise ValueError(f"{self.path}: storage {key!r} is missing from the archive — a "
                             "damaged or truncated file") from None
        if len(raw) < numel * dtype.itemsize:
            raise ValueError(f"{self.path}: storage {key!r} has {len(raw):,} bytes, "
                             f"{numel * dtype.itemsize:,} expected — a damaged file")
        storage = np.frombuffer(raw, dtype=dtype, count=numel)
        # values in this machine's byte order (byteswap works for bfloat16 too)
        return storage if self.byteorder == sys.byteorder else storage.byteswap()


def load_torch_zip(path):
    """The object a torch.save zip file holds (dicts, lists, plain values; tensors as numpy
    arrays). Raises UnsafePickleError for a pickle that asks for anything else, ValueError
    for a damaged file or one that is not a torch zip."""
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as archive:
            prefix = torch_zip_prefix(archive)
            if prefix is None:
                raise ValueError(f"{path}: a zip file without the data.pkl of torch.save's "
                                 "format")
            unpickler = ZipUnpickler(archive.read(prefix + "data.pkl"), archive, prefix, path)
            return run_unpickler(unpickler, path)
    except (zipfile.BadZipFile, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise FileNotFoundError(f"weights file {path!r} does not exist") from None
        raise ValueError(f"{path}: not a readable torch.save zip file ({err})") from None


def run_unpickler(unpickler, path: str):
    """unpickler.load() with every error a ValueError that names the file."""
    try:
        return unpickler.load()
    except ValueError as err:
        if str(err).startswith(path):
            raise
        raise type(err)(f"{path}: {err}") from None
    except (pickle.UnpicklingError, EOFError, TypeError, IndexError, KeyError,
            AttributeError) as err:
        raise ValueError(f"{path}: cannot read its pickle ({err}) — a damaged file") from None
