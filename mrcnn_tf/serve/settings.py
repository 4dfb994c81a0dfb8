"""What the server needs besides the model: class names, limits, the API key."""
from __future__ import annotations

import dataclasses
import os

from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS

MEBIBYTE = 1 << 20


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """Options of one server.

    class_names: index = class id, "BG" first. weights: the weights file (shown by /v1/model).
    timeout: seconds a request may wait for the model before it is answered 503.
    max_pixels: largest image (width x height) accepted. max_body_bytes: largest API request
    body. max_images: images in one /v1/detect request. api_key: when set, the /v1/ routes
    need ``Authorization: Bearer KEY`` and the page asks for it as password.
    max_video_seconds: the page processes at most this much of an uploaded clip.
    """

    class_names: tuple
    weights: str = ""
    timeout: float = 30.0
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_body_bytes: int = 64 * MEBIBYTE
    max_images: int = 16
    api_key: str | None = None
    max_video_seconds: float = 10.0

    def __post_init__(self):
        object.__setattr__(self, "class_names", tuple(str(n) for n in self.class_names))
        object.__setattr__(self, "weights", os.fspath(self.weights))
        for name in ("timeout", "max_pixels", "max_body_bytes", "max_images",
                     "max_video_seconds"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"ServeSettings.{name}={value!r}: expected a number > 0")
        if len(self.class_names) < 2:
            raise ValueError("ServeSettings.class_names: expected 'BG' and at least one class")
        if self.api_key is not None and not self.api_key.strip():
            raise ValueError("ServeSettings.api_key: empty; give a key or None")
