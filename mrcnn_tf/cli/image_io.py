"""Image and JSON files for the CLI: read with OpenCV as RGB, write atomically.

Writes go to a temporary name in the target folder and are renamed when complete, so an
interrupted run never leaves half a file under a final name.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS, ImageTooLargeError, decode_image_bytes


class ImageReadError(Exception):
    """An input image that cannot be read; the message says why (no traceback needed)."""


def read_image(path, *, max_pixels=DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode an image file with OpenCV: RGB [H, W, 3], or grayscale [H, W], in the file's
    depth (uint8 or uint16; detect() scales 16-bit). EXIF orientation is applied, alpha is
    dropped (detect() ignores it). Raises ImageReadError with a short reason.

    max_pixels: an image whose header states more pixels (width x height) is not decoded
    (ImageReadError naming its size), nor is one whose size its header does not tell
    (image_decode.decode_image_bytes); None: no limit.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise ImageReadError("no such file") from None
    except IsADirectoryError:
        raise ImageReadError("is a folder, not an image") from None
    except PermissionError:
        raise ImageReadError("permission denied") from None
    except OSError as err:
        raise ImageReadError(f"cannot read file ({err.strerror or err})") from None
    if data.size == 0:
        raise ImageReadError("empty file")
    try:
        image = decode_image_bytes(data, max_pixels=max_pixels)
    except ImageTooLargeError as err:
        raise ImageReadError(f"{err} (--max-pixels); not decoded") from None
    if image is None:
        raise ImageReadError("not a readable image (corrupt, truncated or unsupported format)")
    return image


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial.{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_png(path, rgb) -> None:
    """Write a uint8 RGB [H, W, 3] image as PNG (OpenCV)."""
    import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"cannot encode {path} as PNG")
    _replace(Path(path), data.tobytes())


def write_label_png(path, labels, max_value=None) -> None:
    """Write an int label map [H, W] as a one-channel PNG, lossless: uint8 when max_value
    (default: the map's largest value) is at most 255, else uint16. Read it back with
    cv2.imread(path, cv2.IMREAD_UNCHANGED)."""
    import cv2

    labels = np.asarray(labels)
    top = int(labels.max(initial=0)) if max_value is None else int(max_value)
    if labels.min(initial=0) < 0 or top > 65535 or labels.max(initial=0) > max(top, 0):
        raise ValueError(f"{path}: labels must lie in 0-65535 (and at most {top})")
    ok, data = cv2.imencode(".png", labels.astype(np.uint8 if top <= 255 else np.uint16))
    if not ok:
        raise OSError(f"cannot encode {path} as PNG")
    _replace(Path(path), data.tobytes())


def dumps(value) -> str:
    """JSON text with one line per key of the top object and per element of lists of
    objects (e.g. one detection a line): readable, diffable, and still plain JSON."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n]"
    if isinstance(value, dict) and value:
        return "{\n" + ",\n".join(f"{json.dumps(str(k), ensure_ascii=False)}: {dumps(v)}"
                                  for k, v in value.items()) + "\n}"
    return json.dumps(value, ensure_ascii=False)


def write_json(path, value) -> None:
    """Write a JSON document (UTF-8; see dumps for the layout)."""
    _replace(Path(path), (dumps(value) + "\n").encode())
