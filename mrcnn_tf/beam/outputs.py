"""Where the pipeline's files go, and writing pictures through Beam's FileSystems.

With the output prefix PREFIX (a local path, gs://bucket/run/out, ...):

    PREFIX-detections-SSSSS-of-NNNNN.jsonl   one JSON line per segmented image
    PREFIX-errors-SSSSS-of-NNNNN.jsonl       one JSON line per image that failed
    PREFIX-annotated/REL.png                 with draw: the image with its detections
    PREFIX-objects/REL/NNN_CLASS.png         with extract: RGBA cut-outs (extract.py)

REL is the input's path relative to the folder of the input pattern (the part before its first
wildcard), so inputs with the same file name in different folders do not collide.
"""
from __future__ import annotations

import posixpath

import numpy as np

SHARD_TEMPLATE = "-SSSSS-of-NNNNN"
SUFFIX = ".jsonl"
WILDCARDS = "*?["


def detections_prefix(prefix: str) -> str:
    return f"{prefix}-detections"


def errors_prefix(prefix: str) -> str:
    return f"{prefix}-errors"


def pattern_base(pattern: str) -> str:
    """The folder part of a file pattern before its first wildcard, ending in "/" (or "")."""
    cut = min((pattern.index(c) for c in WILDCARDS if c in pattern), default=len(pattern))
    head = pattern[:cut]
    return head[:head.rfind("/") + 1] if "/" in head else ""


def relative_name(path: str, base: str) -> str:
    """path relative to base ("a/x.jpg"); the file name alone when path is not under base."""
    if base and path.startswith(base):
        return path[len(base):].lstrip("/")
    return posixpath.basename(path.replace("\\", "/"))


def annotated_path(prefix: str, rel: str) -> str:
    return f"{prefix}-annotated/{rel}.png"


def objects_folder(prefix: str, rel: str) -> str:
    return f"{prefix}-objects/{rel}"


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of uint8 RGB [H, W, 3] or RGBA [H, W, 4] (OpenCV)."""
    import cv2

    image = np.ascontiguousarray(image)
    code = cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, code))
    if not ok:
        raise OSError("cannot encode the picture as PNG")
    return data.tobytes()


def write_file(path: str, data: bytes) -> None:
    """Write bytes to any path Beam's FileSystems handle (folders are created as needed)."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path, mime_type="image/png") as f:
        f.write(data)
