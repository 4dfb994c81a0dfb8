"""samples/shapes/make_coco.py: the shapes sample's data written as a COCO data set reads back,
through pycocotools and mrcnn_tf's CocoDataset, as exactly what ShapesDataset generates."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from mrcnn_tf.data.coco_dataset import CocoDataset
from mrcnn_tf.ops.boxes import extract_bboxes
from tests.helpers import REPO, shapes_dataset

# pycocotools' Cython __array__ predates NumPy 2's copy= (as in mrcnn_tf.results.rle_to_mask)
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
SCRIPT = REPO / "samples" / "shapes" / "make_coco.py"
SMALL = dict(count=6, size=(64, 96), seed=0)
# 256x256, seed 1: image 6 holds a circle with a later square inside it, so that circle's
# mask has a hole (written as RLE); smaller shapes images never have one.
WITH_HOLE = dict(count=7, size=(256, 256), seed=1)


def _load_script():
    spec = importlib.util.spec_from_file_location("make_coco", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_coco = _load_script()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """{key: (json path, image folder, ShapesDataset of the same seed/count/size)}."""
    sets = {}
    for key, spec in (("small", SMALL), ("hole", WITH_HOLE)):
        out = tmp_path_factory.mktemp(key)
        path = make_coco.write_coco(out, spec["count"], spec["size"], spec["seed"], "train")
        assert path == out / "train.json"
        sets[key] = (path, out / "train", shapes_dataset(spec["count"], *spec["size"],
                                                         seed=spec["seed"]))
    return sets


def _coco_dataset(path, image_dir):
    dataset = CocoDataset()
    dataset.load_coco(path, image_dir)
    dataset.prepare()
    assert dataset.problems == []
    return dataset


def _visible(shapes, image_id):
    """ShapesDataset's masks and class ids without shapes hidden entirely by later ones."""
    masks, class_ids = shapes.load_mask(image_id)
    keep = masks.any(axis=(0, 1))
    return masks[:, :, keep], class_ids[keep]


@pytest.mark.parametrize("key", ["small", "hole"])
def test_counts_and_categories_match_the_generator(written, key):
    path, image_dir, shapes = written[key]
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        coco = COCO(str(path))
    dataset = _coco_dataset(path, image_dir)
    categories = coco.loadCats(coco.getCatIds())
    assert [(c["id"], c["name"], c["supercategory"]) for c in categories] == [
        (1, "square", "shape"), (2, "circle", "shape"), (3, "triangle", "shape")]
    assert dataset.class_names == ["BG", "square", "circle", "triangle"]
    assert len(coco.getImgIds()) == dataset.num_images == shapes.num_images
    instances = sum(_visible(shapes, i)[1].size for i in shapes.image_ids)
    assert len(coco.getAnnIds()) == instances > shapes.num_images
    height, width = WITH_HOLE["size"] if key == "hole" else SMALL["size"]
    for image_id in shapes.image_ids:
        info = coco.loadImgs(int(image_id) + 1)[0]
        assert (info["height"], info["width"]) == (height, width)
        assert (image_dir / info["file_name"]).is_file()
        anns = coco.loadAnns(coco.getAnnIds(imgIds=info["id"]))
        assert [a["category_id"] for a in anns] == _visible(shapes, image_id)[1].tolist()
        assert all(a["iscrowd"] == 0 for a in anns)


@pytest.mark.parametrize("key", ["small", "hole"])
def test_masks_and_boxes_equal_the_generators(written, key):
    """The polygons trace pixel edges (vertices a quarter pixel inside the border), so
    pycocotools rasterizes them to exactly the generator's masks: the bound is equality, not
    an IoU (plain pixel-centre contours would lose the right/bottom border rows, IoU ~0.9)."""
    path, image_dir, shapes = written[key]
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    dataset = _coco_dataset(path, image_dir)
    kinds = []
    for index, image_id in enumerate(shapes.image_ids):
        expected, expected_ids = _visible(shapes, image_id)
        coco_id = dataset.image_info[index]["id"]
        assert coco_id == int(image_id) + 1
        masks, class_ids = dataset.load_mask(index)
        assert class_ids.tolist() == expected_ids.tolist()
        assert masks.shape == expected.shape and np.array_equal(masks, expected)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=coco_id))
        for k, ann in enumerate(anns):
            kinds.append("polygon" if isinstance(ann["segmentation"], list) else "rle")
            assert np.array_equal(coco.annToMask(ann).astype(bool), expected[:, :, k])
            x, y, w, h = ann["bbox"]
            y1, x1, y2, x2 = extract_bboxes(expected[:, :, k:k + 1])[0].tolist()
            assert [x, y, x + w, y + h] == [x1, y1, x2, y2]  # tight box, [x, y, w, h]
            assert ann["area"] == expected[:, :, k].sum()
    if key == "small":
        assert set(kinds) == {"polygon"}
    else:  # the circle with a square inside it cannot be outer polygons
        assert kinds.count("rle") == 1 and kinds.count("polygon") == len(kinds) - 1


@pytest.mark.parametrize("key", ["small", "hole"])
def test_images_read_back_equal_the_generated_images(written, key):
    path, image_dir, shapes = written[key]
    dataset = _coco_dataset(path, image_dir)
    for index, image_id in enumerate(shapes.image_ids):
        generated = shapes.load_image(image_id)
        on_disk = cv2.cvtColor(cv2.imread(str(image_dir / f"{int(image_id):06d}.png")),
                               cv2.COLOR_BGR2RGB)
        assert np.array_equal(on_disk, generated)
        assert np.array_equal(dataset.load_image(index), generated)


def test_same_seed_same_files_other_seed_other_data(written, tmp_path):
    path, image_dir, _ = written["small"]
    again = make_coco.main([str(tmp_path / "again"), "--count", "6", "--size", "64x96",
                            "--seed", "0"])
    assert again == 0
    assert (tmp_path / "again" / "train.json").read_bytes() == path.read_bytes()
    for png in sorted(image_dir.glob("*.png")):
        assert (tmp_path / "again" / "train" / png.name).read_bytes() == png.read_bytes()
    other = make_coco.write_coco(tmp_path / "other", 6, "64x96", 1, "val")
    assert other == tmp_path / "other" / "val.json"
    assert len(list((tmp_path / "other" / "val").glob("*.png"))) == 6
    mine, theirs = json.loads(path.read_text()), json.loads(other.read_text())
    assert len(theirs["images"]) == 6
    assert mine["annotations"] != theirs["annotations"]


def test_segmentation_of_awkward_masks_decodes_to_the_mask():
    """One pixel, a diagonal (8-connected) pair, a split mask and an image-filling mask are
    polygons; a ring (a hole) falls back to RLE; every one rasterizes to exactly the mask."""
    def blank():
        return np.zeros((12, 10), bool)

    pixel, diagonal, split, ring = blank(), blank(), blank(), blank()
    pixel[0, 9] = True
    diagonal[4, 4] = diagonal[5, 5] = True
    split[1:3, 1:3] = split[8:11, 6:9] = True
    ring[2:9, 2:8] = True
    ring[4:6, 4:6] = False
    full = ~blank()
    for mask, kind in ((pixel, list), (diagonal, list), (split, list), (full, list),
                       (ring, dict)):
        seg = make_coco.segmentation(mask)
        assert isinstance(seg, kind)
        if kind is list:
            assert all(len(p) >= 6 and len(p) % 2 == 0 for p in seg)
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, *mask.shape))
        else:
            rle = {"size": seg["size"], "counts": seg["counts"].encode("ascii")}
        assert np.array_equal(mask_utils.decode(rle).astype(bool), mask)
    assert len(make_coco.segmentation(split)) == 2


def test_hidden_shapes_get_no_annotation():
    masks = np.zeros((50, 50, 3), bool)
    masks[5:20, 5:20, 0] = True
    masks[30:45, 10:40, 2] = True
    anns = make_coco.image_annotations(masks, np.array([3, 1, 2]), image_id=7, first_id=11)
    assert [(a["id"], a["image_id"], a["category_id"]) for a in anns] == [(11, 7, 3), (12, 7, 2)]
    assert [a["bbox"] for a in anns] == [[5, 5, 15, 15], [10, 30, 30, 15]]
    assert [a["area"] for a in anns] == [225, 450]


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count: 0 is not >= 1"),
    (["--count", "2", "--size", "10x10"], "too small for the shapes"),
    (["--count", "2", "--size", "64x"], "expected N or HxW"),
    (["--count", "2", "--name", "../up"], "name '../up'"),
    (["--count", "2", "--seed", "-3"], "--seed: -3 is not >= 0"),
    (["--count", "2"], "exists and is not a folder"),  # OUT_DIR is a file (below)
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    out = tmp_path / "out"
    if message.startswith("exists"):
        out.write_text("not a folder")
    done = subprocess.run([sys.executable, str(SCRIPT), str(out), *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert out.is_file() if message.startswith("exists") else not out.exists()
