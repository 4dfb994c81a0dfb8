"""Write torch.save zip files for tests, without torch: the same records and the same pickle
opcodes (GLOBAL torch._utils._rebuild_tensor_v2, persistent ids for storages) torch writes.

The pickle refers to torch's names; while it is written, stand-in modules named ``torch`` and
``torch._utils`` are put in sys.modules (and taken out again) so that pickle can name them.
"""
from __future__ import annotations

import collections
import contextlib
import io
import pickle
import sys
import types
import zipfile

import numpy as np

TYPE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
              "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
              "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
              "bool": "BoolStorage"}


class Storage:
    """A storage record: key (file name under data/) and its 1-D values."""

    def __init__(self, key: str, values):
        self.key = key
        self.values = np.asarray(values).reshape(-1)


class Tensor:
    """A tensor as torch pickles it: a view (offset, size, stride in elements) of a storage."""

    def __init__(self, storage, offset, size, stride, *, parameter=False):
        self.storage, self.offset = storage, offset
        self.size, self.stride, self.parameter = tuple(size), tuple(stride), parameter

    def __reduce__(self):
        torch_utils = sys.modules["torch._utils"]
        if self.parameter:
            data = Tensor(self.storage, self.offset, self.size, self.stride)
            return torch_utils._rebuild_parameter, (data, True, collections.OrderedDict())
        return torch_utils._rebuild_tensor_v2, (self.storage, self.offset, self.size,
                                                self.stride, False, collections.OrderedDict())


def contiguous(key: str, array) -> Tensor:
    """A tensor owning its storage, C-contiguous."""
    array = np.asarray(array)
    strides = [int(np.prod(array.shape[i + 1:])) for i in range(array.ndim)]
    return Tensor(Storage(key, array), 0, array.shape, strides)


@contextlib.contextmanager
def _torch_names():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    for name in set(TYPE_NAMES.values()):
        setattr(torch, name, type(name, (), {"__module__": "torch"}))

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    def _rebuild_parameter(*args):
        raise AssertionError("never called")

    for function in (_rebuild_tensor_v2, _rebuild_parameter):
        function.__module__ = "torch._utils"
        function.__qualname__ = function.__name__
        setattr(utils, function.__name__, function)
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        yield torch
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class StorageView:
    """A legacy-format view of a root storage: numel elements from offset (torch < 1.6 saved
    tensors of sliced storages this way)."""

    def __init__(self, key: str, root: Storage, offset: int, numel: int):
        self.key, self.root, self.offset, self.numel = key, root, offset, numel


def _pickle(obj, storages: dict, *, legacy: bool) -> bytes:
    """obj pickled as torch does (protocol 2), storages collected by key."""
    with _torch_names() as torch:

        class Pickler(pickle.Pickler):
            def persistent_id(self, value):
                view = None
                if isinstance(value, StorageView):
                    view, value = (value.key, value.offset, value.numel), value.root
                if not isinstance(value, Storage):
                    return None
                storages[value.key] = value
                storage_type = getattr(torch, TYPE_NAMES[_dtype_name(value.values)])
                pid = ("storage", storage_type, value.key, "cpu", value.values.size)
                return pid + (view,) if legacy else pid

        buffer = io.BytesIO()
        Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def _storage_bytes(values, byteorder) -> bytes:
    if _dtype_name(values) != "bfloat16":
        return values.astype(values.dtype.newbyteorder("<" if byteorder == "little" else ">")
                             ).tobytes()
    return (values.byteswap() if byteorder == "big" else values).tobytes()


def write_torch_zip(path, obj, *, archive="archive", byteorder="little", drop_storage=None):
    """torch.save(obj, path) in the zip format, for obj made of dicts, lists, plain values and
    Tensor. byteorder: how the storages' bytes are written (and recorded). drop_storage: a
    storage key left out of the archive (a damaged file)."""
    storages = {}
    data = _pickle(obj, storages, legacy=False)
    with zipfile.ZipFile(path, "w") as out:
        out.writestr(f"{archive}/data.pkl", data)
        out.writestr(f"{archive}/byteorder", byteorder)
        for key, storage in storages.items():
            if key != drop_storage:
                out.writestr(f"{archive}/data/{key}", _storage_bytes(storage.values, byteorder))
        out.writestr(f"{archive}/version", "3\n")
    return path


def write_torch_legacy(path, obj, *, byteorder="little", truncate=0):
    """torch.save(obj, path, _use_new_zipfile_serialization=False): magic number, protocol
    version, sys_info, the object, the storage keys, then each storage's element count and
    bytes. truncate: bytes cut off the end (a damaged file)."""
    storages = {}
    data = _pickle(obj, storages, legacy=True)
    order = "<" if byteorder == "little" else ">"
    parts = [pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2), pickle.dumps(1001, protocol=2),
             pickle.dumps({"protocol_version": 1001, "little_endian": byteorder == "little",
                           "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2),
             data, pickle.dumps(list(storages), protocol=2)]
    for storage in storages.values():
        parts.append(np.array(storage.values.size, order + "i8").tobytes())
        parts.append(_storage_bytes(storage.values, byteorder))
    body = b"".join(parts)
    with open(path, "wb") as out:
        out.write(body[:len(body) - truncate])
    return path


def _dtype_name(values) -> str:
    return "bfloat16" if values.dtype.name == "bfloat16" else values.dtype.name
