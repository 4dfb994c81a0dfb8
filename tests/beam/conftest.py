"""Fixtures for the Beam tests: a folder of images written here, the model options the runs
use, and a reference model that runs plain detect() on the same images."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import skimage.data

from tests.pixel_bombs import png_bomb

# The model options of every run here: small and fast, and a score threshold at which the
# seed-0 ResNet-50 weights give detections (asserted by the tests).
DIM = 256
MIN_SCORE = 0.45
CORRUPT = "broken.jpg"
BOMB = "big/bomb.png"  # a 20000x20000 PNG header over garbage (tests/pixel_bombs.py)

# file name -> skimage image; RGB as JPEG, grayscale and RGBA as PNG, two downscaled copies
# so the folder holds several sizes and aspect ratios.
RGB_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


def _write(path, image) -> None:
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(os.fspath(path), image)


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory):
    """11 files: 9 images (RGB JPEGs of five sizes, two grayscale PNGs, one RGBA PNG, two
    downscaled copies, one in a sub-folder with a repeated file name), one corrupt file and,
    in a sub-folder, a 400-megapixel PNG header (BOMB)."""
    folder = tmp_path_factory.mktemp("beam_images")
    for name in RGB_IMAGES:
        _write(folder / f"{name}.jpg", getattr(skimage.data, name)())
    _write(folder / "camera.png", skimage.data.camera())
    _write(folder / "coins.png", skimage.data.coins())
    _write(folder / "logo.png", skimage.data.logo())
    (folder / "small").mkdir()
    _write(folder / "small" / "astronaut.jpg", cv2.resize(skimage.data.astronaut(), (192, 128)))
    (folder / CORRUPT).write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG " + bytes(range(200)))
    (folder / BOMB).parent.mkdir()
    (folder / BOMB).write_bytes(png_bomb(20000, 20000))
    return folder


def good_images(folder) -> list:
    """The decodable image files of image_folder (paths as the pipeline matches them)."""
    paths = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p not in (folder / CORRUPT, folder / BOMB))
    return [os.fspath(p) for p in paths]


def model_overrides(resize_mode="square") -> dict:
    return {"IMAGE_MIN_DIM": DIM, "IMAGE_MAX_DIM": DIM, "DETECTION_MIN_CONFIDENCE": MIN_SCORE,
            "IMAGE_RESIZE_MODE": resize_mode}


def reference_results(weights, paths, resize_mode="square") -> dict:
    """{path: detect() result} from a model built in this process with the same options,
    one image a call, images read as ``mrcnn-tf detect`` reads them."""
    from mrcnn_tf.cli.image_io import read_image
    from mrcnn_tf.model import MaskRCNN

    model = MaskRCNN.from_weights(weights, IMAGES_PER_GPU=1, **model_overrides(resize_mode))
    return {path: model.detect([read_image(path)])[0] for path in paths}


def assert_same_detections(record, expected) -> None:
    """A detections record equals a detect() result: the same detections (boxes, classes and
    RLE masks exactly, scores within 1e-4), matched irrespective of order: batched and
    single-image convolutions round differently, which can swap detections of near-equal
    score."""
    from mrcnn_tf.results import masks_to_rle

    assert (record["height"], record["width"]) == expected["masks"].shape[:2]
    got = sorted((d["class_id"], d["box"], d["rle"]["counts"], d["score"])
                 for d in record["detections"])
    want = sorted(zip(expected["class_ids"].tolist(), expected["rois"].tolist(),
                      [rle["counts"] for rle in masks_to_rle(expected["masks"])],
                      expected["scores"].tolist()))
    assert [g[:3] for g in got] == [w[:3] for w in want], record["image"]
    np.testing.assert_allclose([g[3] for g in got], [w[3] for w in want], atol=1e-4)
