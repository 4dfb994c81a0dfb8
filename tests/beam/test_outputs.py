"""mrcnn_tf.beam.outputs: output names relative to the input pattern."""
from __future__ import annotations

import cv2
import numpy as np

from mrcnn_tf.beam import outputs
from tests.helpers import require_extra


def test_pattern_base_is_the_folder_before_the_first_wildcard():
    assert outputs.pattern_base("gs://b/images/*.jpg") == "gs://b/images/"
    assert outputs.pattern_base("/data/photos/**/x?.png") == "/data/photos/"
    assert outputs.pattern_base("/data/ph*/a.jpg") == "/data/"
    assert outputs.pattern_base("*.jpg") == ""
    assert outputs.pattern_base("/data/one.jpg") == "/data/"


def test_relative_names_keep_sub_folders_apart():
    base = outputs.pattern_base("/in/**")
    names = {outputs.relative_name(p, base) for p in ("/in/a/x.jpg", "/in/b/x.jpg", "/in/x.jpg")}
    assert names == {"a/x.jpg", "b/x.jpg", "x.jpg"}
    assert outputs.relative_name("/elsewhere/y.png", base) == "y.png"
    assert outputs.annotated_path("gs://o/run", "a/x.jpg") == "gs://o/run-annotated/a/x.jpg.png"


def test_png_round_trip_through_filesystems(tmp_path):
    require_extra("apache_beam", "beam")
    rgba = np.random.default_rng(0).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    path = f"{tmp_path}/new/folder/x.png"
    outputs.write_file(path, outputs.encode_png(rgba))
    back = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    np.testing.assert_array_equal(back, rgba)
