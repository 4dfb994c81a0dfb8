"""Which kind of weights file a path is, from its first bytes (no TensorFlow, no torch).

Kinds: "keras-h5" (HDF5, matterport's Keras 2 weights), "torch-zip" (torch.save's zip format:
``<archive>/data.pkl`` and ``<archive>/data/<key>``), "torch-legacy" (torch.save before
PyTorch 1.6: pickles in a row, the first the magic number 0x1950A86A20F9469CFC6C; or the even
older tar layout), "npz" (numpy.savez), "safetensors", or None.
"""
from __future__ import annotations

import os
import struct
import zipfile

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2): how a legacy torch.save file starts
TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."
KERAS_H5, TORCH_ZIP, TORCH_LEGACY, NPZ, SAFETENSORS = (
    "keras-h5", "torch-zip", "torch-legacy", "npz", "safetensors")
TORCH = "torch"  # a file format to check: a torch zip or a legacy torch.save file
STATE_DICT_KINDS = (TORCH_ZIP, TORCH_LEGACY, NPZ, SAFETENSORS)


def torch_zip_prefix(archive: zipfile.ZipFile) -> str | None:
    """The record prefix ("<archive name>/") of a torch.save zip, None when the zip has no
    top-level ``data.pkl``."""
    for name in archive.namelist():
        parts = name.split("/")
        if parts[-1] == "data.pkl" and len(parts) <= 2:
            return name[:-len("data.pkl")]
    return None


def _safetensors_header(head: bytes, size: int) -> bool:
    if len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= size - 8 and head[8:9] == b"{"


def file_kind(path) -> str | None:
    """The kind of weights file at path (see the module docstring), None if none of them.
    Raises FileNotFoundError when path does not exist."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"weights file {path!r} does not exist")
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(HDF5_MAGIC):
        return KERAS_H5
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                if torch_zip_prefix(archive) is not None:
                    return TORCH_ZIP
                if any(n.endswith(".npy") for n in archive.namelist()):
                    return NPZ
        except (zipfile.BadZipFile, OSError):
            return None
        return None
    if head.startswith(TORCH_LEGACY_MAGIC):
        return TORCH_LEGACY
    if _safetensors_header(head, os.path.getsize(path)):
        return SAFETENSORS
    import tarfile

    try:
        if tarfile.is_tarfile(path):  # torch.save's oldest layout (pickle, storages, tensors)
            return TORCH_LEGACY
    except OSError:
        pass
    return None


def check_format(path, file_format: str) -> None:
    """ValueError unless the file at path is a readable file_format ("keras-h5": opens as
    Keras 2 HDF5 weights; "torch-zip": a zip with a data.pkl record; "torch": that, or a
    legacy torch.save file)."""
    path = os.fspath(path)
    if file_format == KERAS_H5:
        from mrcnn_tf.weights.h5file import open_weights_file

        f, _ = open_weights_file(path)
        f.close()
    elif file_format == TORCH and file_kind(path) == TORCH_LEGACY:
        with open(path, "rb") as f:
            if not f.read(len(TORCH_LEGACY_MAGIC)) == TORCH_LEGACY_MAGIC:
                raise ValueError("torch's tar layout, which is not read here")
    elif file_format in (TORCH_ZIP, TORCH):
        try:
            with zipfile.ZipFile(path) as archive:
                prefix = torch_zip_prefix(archive)
                if prefix is None:
                    raise ValueError("a zip file without the data.pkl of torch.save's format")
                if archive.testzip() is not None:
                    raise ValueError("a damaged zip file")
        except (zipfile.BadZipFile, OSError) as err:
            raise ValueError(f"not a torch.save zip file ({err})") from None
    else:
        raise ValueError(f"unknown file format {file_format!r}")


def describe_kind(kind: str | None) -> str:
    """A few words for messages: what a kind of file is."""
    return {KERAS_H5: "a Keras HDF5 file", TORCH_ZIP: "a torch state dict (.pth)",
            TORCH: "a torch.save file (.pth)",
            TORCH_LEGACY: "a torch file in the legacy (pre-1.6) format", NPZ: "a numpy .npz",
            SAFETENSORS: "a safetensors file", None: "not a weights file"}[kind]

