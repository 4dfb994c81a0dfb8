"""A restricted unpickler for torch.save files: tensors and plain values, nothing that runs.

In a torch pickle a tensor is ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
stride, requires_grad, backward_hooks[, metadata])`` and a storage is a persistent id naming a
typed storage class (``torch.FloatStorage``, ...) and where its bytes are. TensorUnpickler
resolves exactly the globals a tensor state dict (or a training checkpoint around one) uses —
the tensor rebuild functions, the typed storage classes, OrderedDict and argparse.Namespace
(torchvision's training scripts keep their arguments in checkpoints) — each to a harmless
stand-in of this load's own. Any other global (``os.system``, ``builtins.eval``, ...) is
refused with UnsafePickleError before anything is called: nothing from the file runs.
Subclasses (torch_zip, torch_legacy) say how persistent ids become storages.

Tensors come back as numpy arrays (a copy: views, offsets and strides honoured) with the
storage's dtype: float32, float16, float64, int64, ..., and bfloat16 as ``ml_dtypes.bfloat16``
(exact; ``.astype(numpy.float32)`` is lossless).
"""
from __future__ import annotations

import collections
import pickle

import numpy as np


class UnsafePickleError(ValueError):
    """The pickle asks for something a tensor state dict never needs; nothing was run."""


STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8",
}


class StorageType:
    """Stand-in for torch.FloatStorage & co: only its numpy dtype matters."""

    def __init__(self, name: str):
        self.name = name
        self.dtype_name = STORAGE_DTYPES[name]

    @property
    def dtype(self) -> np.dtype:
        if self.dtype_name == "bfloat16":
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(self.dtype_name)


class TensorType:
    """Stand-in for torch.Tensor (a marker for _rebuild_from_type_v2)."""


class ParameterType:
    """Stand-in for torch.nn.parameter.Parameter (a marker)."""


class Namespace:
    """Stand-in for argparse.Namespace in training checkpoints: keeps the attributes."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _as_ints(value, what) -> tuple:
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ValueError(f"bad tensor {what}: {value!r:.80}")
    return tuple(value)


def view_of_storage(storage: np.ndarray, storage_offset, size, stride) -> np.ndarray:
    """The tensor (offset, size, stride counted in elements) of a 1-D storage array, copied to
    a C-contiguous array. ValueError when it would reach outside the storage."""
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


TENSOR_FUNCTIONS = (("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"))
PARAMETER_FUNCTIONS = (("torch._utils", "_rebuild_parameter"),
                       ("torch._utils", "_rebuild_parameter_with_state"))
FROM_TYPE_FUNCTIONS = (("torch._tensor", "_rebuild_from_type_v2"),
                       ("torch.tensor", "_rebuild_from_type_v2"))  # its module's old name
MARKERS = {("torch", "Tensor"): TensorType, ("torch.nn.parameter", "Parameter"): ParameterType,
           ("argparse", "Namespace"): Namespace, ("collections", "OrderedDict"): None}


class TensorUnpickler(pickle.Unpickler):
    """Unpickles with only the allowed globals. Subclasses define persistent_load (storage ids
    to storage objects) and make_tensor(storage, offset, size, stride)."""

    def __init__(self, file, path: str):
        super().__init__(file)
        self.path = path
        allowed = {key: self._rebuild_tensor for key in TENSOR_FUNCTIONS}
        allowed.update({key: rebuild_parameter for key in PARAMETER_FUNCTIONS})
        allowed.update({key: self._rebuild_from_type for key in FROM_TYPE_FUNCTIONS})
        # Stand-ins of this load's own: the pickle's BUILD opcode can set attributes on what
        # find_class returned, and must not change how later files are read.
        allowed.update({key: type(value.__name__, (value,), {}) if value else
                        collections.OrderedDict for key, value in MARKERS.items()})
        allowed.update({(module, name): StorageType(name) for name in STORAGE_DTYPES
                        for module in ("torch", "torch.storage")})
        self.allowed = allowed

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

    def make_tensor(self, storage, storage_offset, size, stride):
        raise NotImplementedError

    def _rebuild_tensor(self, storage, storage_offset, size, stride, *_ignored):
        return self.make_tensor(storage, storage_offset, size, stride)

    def _rebuild_from_type(self, func, new_type, args, state=None):
        """torch._tensor._rebuild_from_type_v2 for Tensor / Parameter: just the tensor."""
        if not (isinstance(new_type, type) and issubclass(new_type, (TensorType, ParameterType))):
            raise UnsafePickleError(f"{self.path}: a tensor of an unsupported type")
        if func != self._rebuild_tensor and func is not rebuild_parameter:
            raise UnsafePickleError(f"{self.path}: a tensor rebuilt by an unsupported function")
        if not isinstance(args, tuple):
            raise ValueError(f"{self.path}: bad tensor arguments")
        return func(*args)


def storage_id(pid, path, length: int):
    """Check a persistent id ("storage", StorageType, key, location, numel, ...) and return
    (storage type, key, numel); UnsafePickleError for anything else."""
    if (not isinstance(pid, tuple) or len(pid) != length or pid[0] != "storage"
            or not isinstance(pid[1], StorageType) or not isinstance(pid[2], str)
            or not isinstance(pid[4], int) or isinstance(pid[4], bool) or pid[4] < 0):
        raise UnsafePickleError(f"{path}: unsupported persistent id {pid!r:.80}")
    return pid[1], pid[2], pid[4]
