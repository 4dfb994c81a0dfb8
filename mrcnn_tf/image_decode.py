"""Decoding image files' bytes with OpenCV, the one way the CLI, the Beam pipeline and the
server read images."""
from __future__ import annotations

import numpy as np


def decode_image_bytes(data) -> np.ndarray | None:
    """Encoded bytes (JPEG, PNG, TIFF, ... as OpenCV reads them; bytes or a uint8 array) to
    RGB [H, W, 3] or grayscale [H, W] in the file's depth (uint8 or uint16), EXIF orientation
    applied, alpha dropped (IMREAD_ANYCOLOR). None when the bytes are not a readable image."""
    import cv2

    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8),
                             cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    except cv2.error:
        return None
    if image is None or image.size == 0:
        return None
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image
