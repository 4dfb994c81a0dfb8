"""Read torch.save's legacy format (PyTorch < 1.6, e.g. torchvision's 2019 COCO weights)
without torch and without running its pickle.

The file is a sequence: pickled magic number 0x1950A86A20F9469CFC6C, pickled protocol
version 1001, pickled sys_info (``little_endian``, type sizes), the pickled object (storages
as persistent ids ``("storage", torch.FloatStorage, root_key, location, numel,
view_metadata)``, view_metadata None or ``(view_key, offset, view_numel)``), the pickled list
of storage keys, then for each key in that order: its element count (int64) and its raw bytes.
Storages come after the object, so tensors are first recorded as pending views and made
arrays once the bytes are read. Every pickle goes through weights/torch_pickle.py's
restricted unpickler. The older tar-based format is refused.
"""
from __future__ import annotations

import os
import struct
import tarfile

import numpy as np

from mrcnn_tf.weights.formats import TORCH_LEGACY_MAGIC
from mrcnn_tf.weights.torch_pickle import (Namespace, TensorUnpickler, UnsafePickleError,
                                           storage_id, view_of_storage)
from mrcnn_tf.weights.torch_zip import run_unpickler

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


class _Storage:
    """A storage named by the pickle, bytes not read yet; view: (offset, numel) or None."""

    def __init__(self, storage_type, key, numel, view):
        self.storage_type, self.key, self.numel, self.view = storage_type, key, numel, view


class _Pending:
    """A tensor whose storage bytes come later in the file."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


class LegacyUnpickler(TensorUnpickler):
    def __init__(self, file, path: str):
        super().__init__(file, path)
        self.storages = {}  # root key -> _Storage

    def persistent_load(self, pid):
        storage_type, key, numel = storage_id(pid, self.path, 6)
        view = pid[5]
        if view is not None:
            if (not isinstance(view, tuple) or len(view) != 3
                    or not all(isinstance(v, int) and v >= 0 for v in view[1:])):
                raise UnsafePickleError(f"{self.path}: unsupported storage view {view!r:.80}")
            view = (view[1], view[2])
        root = self.storages.setdefault(key, _Storage(storage_type, key, numel, None))
        return root if view is None else _Storage(storage_type, key, numel, view)

    def make_tensor(self, storage, storage_offset, size, stride):
        if not isinstance(storage, _Storage):
            raise ValueError("a tensor whose storage is not a storage record")
        return _Pending(storage, storage_offset, size, stride)


class _PlainUnpickler(TensorUnpickler):
    """For the header and key-list pickles: plain values only."""

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.path}: unexpected persistent id {pid!r:.80}")


def is_legacy_tar(path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def load_torch_legacy(path):
    """The object a legacy torch.save file holds, tensors as numpy arrays. Raises
    UnsafePickleError or ValueError (not this format, damaged, the tar-based format)."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        if not f.read(len(TORCH_LEGACY_MAGIC)) == TORCH_LEGACY_MAGIC:
            if is_legacy_tar(path):
                raise ValueError(f"{path} is in torch's oldest (tar) format, which is not read "
                                 "here; re-save it with a current torch: "
                                 "torch.save(torch.load(path, weights_only=True), 'new.pth')")
            raise ValueError(f"{path} is not a torch.save file")
        f.seek(0)
        magic = run_unpickler(_PlainUnpickler(f, path), path)
        if magic != MAGIC_NUMBER:
            raise ValueError(f"{path} is not a torch.save file")
        version = run_unpickler(_PlainUnpickler(f, path), path)
        if version != PROTOCOL_VERSION:
            raise ValueError(f"{path}: unknown torch.save protocol version {version!r:.20}")
        sys_info = run_unpickler(_PlainUnpickler(f, path), path)
        little = not isinstance(sys_info, dict) or sys_info.get("little_endian", True)
        unpickler = LegacyUnpickler(f, path)
        result = run_unpickler(unpickler, path)
        keys = run_unpickler(_PlainUnpickler(f, path), path)
        arrays = _read_storages(f, path, keys, unpickler.storages, "<" if little else ">")
    return _materialize(result, arrays, path)


def _read_storages(f, path, keys, storages, order) -> dict:
    if not isinstance(keys, list) or set(keys) != set(storages):
        raise ValueError(f"{path}: its storage list does not match its tensors — a damaged "
                         "file")
    arrays = {}
    for key in keys:
        storage = storages[key]
        header = f.read(8)
        if len(header) < 8:
            raise ValueError(f"{path}: truncated before storage {key!r}")
        (numel,) = struct.unpack(order + "q", header)
        dtype = storage.storage_type.dtype
        if numel != storage.numel:
            raise ValueError(f"{path}: storage {key!r} holds {numel} elements, its tensors say "
                             f"{storage.numel} — a damaged file")
        left = os.fstat(f.fileno()).st_size - f.tell()
        raw = f.read(numel * dtype.itemsize) if numel * dtype.itemsize <= left else b""
        if len(raw) < numel * dtype.itemsize:
            raise ValueError(f"{path}: truncated in storage {key!r}")
        array = np.frombuffer(raw, dtype=dtype, count=numel)
        native = "<" if np.little_endian else ">"
        arrays[key] = array if order == native else array.byteswap()
    return arrays


def _materialize(obj, arrays, path):
    """obj with every pending tensor made a numpy array."""
    if isinstance(obj, _Pending):
        storage = arrays[obj.storage.key]
        if obj.storage.view is not None:
            offset, numel = obj.storage.view
            if offset + numel > storage.size:
                raise ValueError(f"{path}: a storage view reaches past its storage")
            storage = storage[offset:offset + numel]
        try:
            return view_of_storage(storage, obj.offset, obj.size, obj.stride)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
    if isinstance(obj, dict):
        return type(obj)((k, _materialize(v, arrays, path)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v, arrays, path) for v in obj)
    if isinstance(obj, Namespace):
        obj.__dict__.update({k: _materialize(v, arrays, path) for k, v in vars(obj).items()})
    return obj
