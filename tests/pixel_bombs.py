"""Files that claim a huge image in a few bytes, for the --max-pixels tests.

``png_bomb`` writes a well-formed PNG header (signature, IHDR with a correct CRC) stating
width x height RGB, followed by pixel data that is not zlib: reading the header gives the
size at once, while decoding it fails (libpng: "incorrect header check"). So a reader that
decodes before checking the size reports a corrupt file instead of the size, and a test that
expects the size message fails.
"""
from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def png_bomb(width: int, height: int) -> bytes:
    """A PNG header claiming width x height 8-bit RGB, with garbage pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"\x07" * 256)
            + _chunk(b"IEND", b""))
