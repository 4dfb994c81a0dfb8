"""Read a torch.save zip file (PyTorch >= 1.6) without torch and without running its pickle.

Layout: ``<archive>/data.pkl`` (the pickled object), ``<archive>/data/<key>`` (the raw bytes
of each storage), ``<archive>/byteorder`` ("little" or "big"; absent in old files: little),
``<archive>/version``. In data.pkl a tensor is ``torch._utils._rebuild_tensor_v2(storage,
storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`` and a storage is a
persistent id ``("storage", torch.FloatStorage, key, location, numel)``.

The unpickler resolves exactly the globals a tensor state dict (or a training checkpoint
around one) uses: the tensor rebuild functions, the typed storage classes, OrderedDict and
argparse.Namespace (torchvision's training scripts keep their arguments in checkpoints), each
mapped to a harmless local stand-in. Any other global (``os.system``, ``builtins.eval``, ...)
is refused with UnsafePickleError before anything is called: nothing from the file runs.
Tensors come back as numpy arrays (a copy: views, offsets and strides honoured) with the
storage's dtype: float32, float16, float64, int64, ..., and bfloat16 as ``ml_dtypes.bfloat16``
(exact; ``.astype(numpy.float32)`` is lossless).
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import sys
import zipfile

import numpy as np

from mrcnn_tf.weights.formats import torch_zip_prefix


class UnsafePickleError(ValueError):
    """The pickle asks for something a tensor state dict never needs; nothing was run."""


def _bfloat16():
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8",
}


class StorageType:
    """Stand-in for torch.FloatStorage & co: only its numpy dtype name matters."""

    def __init__(self, name: str):
        self.name = name
        self.dtype_name = STORAGE_DTYPES[name]

    @property
    def dtype(self) -> np.dtype:
        return _bfloat16() if self.dtype_name == "bfloat16" else np.dtype(self.dtype_name)


def _as_ints(value, what) -> tuple:
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ValueError(f"bad tensor {what}: {value!r}")
    return tuple(value)


def rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    """torch._utils._rebuild_tensor_v2 for numpy: the view (offset, size, stride counted in
    elements) of the 1-D storage array, copied to a contiguous array."""
    if not isinstance(storage, np.ndarray) or storage.ndim != 1:
        raise ValueError("a tensor whose storage is not a storage record")
    size, stride = _as_ints(size, "size"), _as_ints(stride, "stride")
    offset = _as_ints([storage_offset], "offset")[0]
    if len(size) != len(stride):
        raise ValueError(f"tensor size {size} and stride {stride} differ in length")
    if 0 in size:
        return np.empty(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise ValueError(f"tensor (offset {offset}, size {size}, stride {stride}) reaches past "
                         f"its storage of {storage.size} elements — a damaged file")
    strides = tuple(s * storage.itemsize for s in stride)
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=strides,
                                           writeable=False)
    return np.array(view, copy=True, order="C")


def rebuild_parameter(data, *_ignored):
    """torch._utils._rebuild_parameter(_with_state): a Parameter is its data."""
    return data


def rebuild_from_type(func, new_type, args, state=None):
    """torch._tensor._rebuild_from_type_v2 for Tensor / Parameter: just the tensor."""
    if not (isinstance(new_type, type) and issubclass(new_type, (TensorType, ParameterType))):
        raise UnsafePickleError(f"a tensor of the unsupported type {new_type!r}")
    if func not in (rebuild_tensor, rebuild_parameter):
        raise UnsafePickleError("a tensor rebuilt by an unsupported function")
    return func(*args)


class TensorType:
    """Stand-in for torch.Tensor (only as a marker for rebuild_from_type)."""


class ParameterType:
    """Stand-in for torch.nn.parameter.Parameter (only as a marker)."""


class Namespace:
    """Stand-in for argparse.Namespace in training checkpoints: keeps the attributes."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): rebuild_from_type,
    ("torch", "Tensor"): TensorType,
    ("torch.nn.parameter", "Parameter"): ParameterType,
    ("argparse", "Namespace"): Namespace,
    **{("torch", name): StorageType(name) for name in STORAGE_DTYPES},
    ("torch.storage", "UntypedStorage"): StorageType("UntypedStorage"),
}


def _fresh(value):
    """A stand-in of this load's own: the pickle's BUILD opcode can set attributes on what
    find_class returned, and must not change how later files are read."""
    if isinstance(value, StorageType):
        return StorageType(value.name)
    if value in (TensorType, ParameterType, Namespace):
        return type(value.__name__, (value,), {})
    return value


class SafeUnpickler(pickle.Unpickler):
    """Unpickles data.pkl with only the ALLOWED globals; storages read from the zip."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str, path: str):
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.path = archive, prefix, path
        self.byteorder = self._byteorder()
        self.storages = {}
        self.allowed = {key: _fresh(value) for key, value in ALLOWED.items()}

    def _byteorder(self) -> str:
        try:
            order = self.archive.read(self.prefix + "byteorder").decode().strip()
        except KeyError:
            return "little"
        if order not in ("little", "big"):
            raise ValueError(f"{self.path}: unknown byteorder record {order!r}")
        return order

    def find_class(self, module, name):
        allowed = self.allowed.get((module, name))
        if allowed is None:
            raise UnsafePickleError(
                f"{self.path}: refused to load: its pickle asks for the global "
                f"'{module}.{name}', which a tensor state dict never needs (allowed: tensors, "
                "storages, OrderedDict, plain values); nothing from the file was run. A file "
                "you trust can be re-saved with torch as a plain state dict "
                "(torch.save(model.state_dict(), path)) or as .safetensors")
        return allowed

    def persistent_load(self, pid):
        if (not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage"
                or not isinstance(pid[1], StorageType) or not isinstance(pid[2], str)
                or not isinstance(pid[4], int) or pid[4] < 0):
            raise UnsafePickleError(f"{self.path}: unsupported persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel = pid[:5]
        if key not in self.storages:
            self.storages[key] = self._read_storage(storage_type, key, numel)
        return self.storages[key]

    def _read_storage(self, storage_type: StorageType, key: str, numel: int) -> np.ndarray:
        try:
            raw = self.archive.read(f"{self.prefix}data/{key}")
        except KeyError:
            raise ValueError(f"{self.path}: storage {key!r} is missing from the archive — a "
                             "damaged or truncated file") from None
        dtype = storage_type.dtype
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
            unpickler = SafeUnpickler(archive.read(prefix + "data.pkl"), archive, prefix, path)
            try:
                return unpickler.load()
            except ValueError as err:  # name the file in every message
                if str(err).startswith(path):
                    raise
                raise type(err)(f"{path}: {err}") from None
            except (pickle.UnpicklingError, EOFError, TypeError, IndexError, KeyError,
                    AttributeError) as err:
                raise ValueError(f"{path}: cannot read its data.pkl ({err}) — a damaged file"
                                 ) from None
    except (zipfile.BadZipFile, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise FileNotFoundError(f"weights file {path!r} does not exist") from None
        raise ValueError(f"{path}: not a readable torch.save zip file ({err})") from None
