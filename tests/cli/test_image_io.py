"""CLI image reading with OpenCV: RGB order, grayscale, 16-bit, alpha, EXIF, bad files."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from mrcnn_tf.cli.image_io import (ImageReadError, dumps, read_image, write_json,
                                   write_label_png, write_png)
from tests.pixel_bombs import png_bomb


def test_colour_order_grayscale_16_bit_and_alpha(tmp_path):
    red = np.zeros((4, 5, 3), np.uint8)
    red[..., 0] = 255
    write_png(tmp_path / "red.png", red)
    np.testing.assert_array_equal(read_image(tmp_path / "red.png"), red)
    gray = np.arange(20, dtype=np.uint16).reshape(4, 5) * 3000
    cv2.imwrite(str(tmp_path / "gray16.png"), gray)
    out = read_image(tmp_path / "gray16.png")
    assert out.dtype == np.uint16 and out.shape == (4, 5)
    np.testing.assert_array_equal(out, gray)
    bgra = np.zeros((4, 5, 4), np.uint8)
    bgra[..., 2], bgra[..., 3] = 200, 100
    cv2.imwrite(str(tmp_path / "alpha.png"), bgra)
    out = read_image(tmp_path / "alpha.png")
    assert out.shape[:2] == (4, 5) and (out[..., 0] == 200).all()


def test_exif_orientation_is_applied(tmp_path):
    from PIL import Image

    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = 255  # white left half
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    out = read_image(tmp_path / "phone.jpg")
    assert out.shape[:2] == (40, 20)
    assert out[:15].mean() > 200 and out[25:].mean() < 50  # white half now on top


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), (b"", "empty file"), (b"\xff\xd8 not really a jpeg", "corrupt")])
def test_unreadable_files_raise_one_short_reason(tmp_path, content, message):
    path = tmp_path / "bad.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=message):
        read_image(path)


def test_truncated_jpeg(tmp_path):
    ok, data = cv2.imencode(".jpg", np.full((64, 64, 3), 128, np.uint8))
    (tmp_path / "cut.jpg").write_bytes(data.tobytes()[:40])
    with pytest.raises(ImageReadError):
        read_image(tmp_path / "cut.jpg")


def test_json_layout_is_plain_json(tmp_path):
    value = {"image": "a.jpg", "detections": [{"box": [1, 2, 3, 4]}, {"box": [5, 6, 7, 8]}],
             "none": [], "names": {"ä": 1}}
    write_json(tmp_path / "a.json", value)
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8")) == value
    assert '{"box": [1, 2, 3, 4]}' in dumps(value)
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_label_maps_are_written_losslessly_in_8_or_16_bits(tmp_path):
    labels = np.arange(12, dtype=np.int32).reshape(3, 4) * 23  # 0 ... 253
    write_label_png(tmp_path / "a.png", labels)
    back = cv2.imread(str(tmp_path / "a.png"), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, labels)
    write_label_png(tmp_path / "b.png", labels, max_value=300)  # room for 301 classes
    back = cv2.imread(str(tmp_path / "b.png"), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, labels)
    write_label_png(tmp_path / "c.png", labels + 1000)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "c.png"), cv2.IMREAD_UNCHANGED),
                                  labels + 1000)
    with pytest.raises(ValueError, match="0-65535"):
        write_label_png(tmp_path / "d.png", labels - 1)


def test_an_image_above_max_pixels_is_refused_by_its_header(tmp_path):
    """A 20000x20000 header with garbage pixel data: refused by size, never decoded (decoding
    it would report a corrupt file instead)."""
    (tmp_path / "bomb.png").write_bytes(png_bomb(20000, 20000))
    with pytest.raises(ImageReadError) as caught:
        read_image(tmp_path / "bomb.png")
    assert str(caught.value) == ("20000x20000 = 400 megapixels, more than the limit of 40 "
                                 "megapixels (--max-pixels); not decoded")
    write_png(tmp_path / "small.png", np.zeros((400, 600, 3), np.uint8))
    assert read_image(tmp_path / "small.png", max_pixels=240_000).shape == (400, 600, 3)
    with pytest.raises(ImageReadError, match="600x400 = 0.24 megapixels"):
        read_image(tmp_path / "small.png", max_pixels=239_999)
