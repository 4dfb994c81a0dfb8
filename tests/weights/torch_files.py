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


def write_torch_zip(path, obj, *, archive="archive", byteorder="little", drop_storage=None):
    """torch.save(obj, path) in the zip format, for obj made of dicts, lists, plain values and
    Tensor. byteorder: how the storages' bytes are written (and recorded). drop_storage: a
    storage key left out of the archive (a damaged file)."""
    storages = {}
    with _torch_names() as torch:

        class Pickler(pickle.Pickler):
            def persistent_id(self, value):
                if isinstance(value, Storage):
                    storages[value.key] = value
                    storage_type = getattr(torch, TYPE_NAMES[_dtype_name(value.values)])
                    return ("storage", storage_type, value.key, "cpu", value.values.size)
                return None

        buffer = io.BytesIO()
        Pickler(buffer, protocol=2).dump(obj)
    order = "<" if byteorder == "little" else ">"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr(f"{archive}/data.pkl", buffer.getvalue())
        out.writestr(f"{archive}/byteorder", byteorder)
        for key, storage in storages.items():
            if key != drop_storage:
                values = storage.values
                if _dtype_name(values) != "bfloat16":
                    values = values.astype(values.dtype.newbyteorder(order))
                elif byteorder == "big":
                    values = values.byteswap()
                out.writestr(f"{archive}/data/{key}", values.tobytes())
        out.writestr(f"{archive}/version", "3\n")
    return path


def _dtype_name(values) -> str:
    return "bfloat16" if values.dtype.name == "bfloat16" else values.dtype.name
