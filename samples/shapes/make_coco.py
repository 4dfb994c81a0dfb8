"""Write the shapes sample's synthetic data as a COCO-format instance segmentation data set.

    python3 samples/shapes/make_coco.py OUT_DIR --count 500 [--size 128 | --size 64x96]
                                        [--seed 0] [--name train]

writes OUT_DIR/<name>.json (COCO instances: images, annotations, categories square 1,
circle 2, triangle 3 of supercategory "shape") and the images as PNG files in
OUT_DIR/<name>/, for any tool that reads COCO (``mrcnn-tf train``, pycocotools, detectron2).

The data is mrcnn_tf.data.ShapesDataset's, drawn by its own load_image / load_mask: the same
seed, count and size give the same images and instance masks as
``ShapesDataset().load_shapes(count, height, width, seed=seed)``, with the masks of
overlapping shapes occluded as there. Image ids are the dataset's image ids + 1.

Segmentation: polygons that trace the pixel edges of each instance mask (OpenCV's outer
contours of the mask upsampled 2x, so each vertex sits a quarter pixel inside the mask's
border), which pycocotools rasterizes back to exactly the mask. A mask those polygons do not
reproduce (a shape with a hole where a later shape lies inside it, which outer contours
cannot express) is written as compressed RLE (still iscrowd 0). A shape hidden entirely by
later shapes has no pixels and gets no annotation. ``area`` is the mask's pixel count and
``bbox`` ([x, y, width, height]) its tight box.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np

from mrcnn_tf.cli.arguments import non_negative_int, positive_int

# random_shape places centres at least 20 pixels from each border (rng.integers(20, size - 20)):
# a side of 40 or less leaves no place for a shape.
MIN_SIDE = 41
MAX_SIDE = 4096  # one image is held in memory at a time; beyond this is a typo, not a data set
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
UPSAMPLE = 2  # contours of the 2x mask put vertices 1/4 pixel inside the border: exact raster


def parse_size(text) -> tuple[int, int]:
    """'128' -> (128, 128); '64x96' -> (64, 96) (height x width); checked against the limits."""
    if isinstance(text, (tuple, list)):
        parts = list(text)
    elif isinstance(text, (int, np.integer)):
        parts = [int(text)]
    else:
        parts = str(text).lower().split("x")
    try:
        sides = [int(p) for p in parts]
    except ValueError:
        sides = []
    if len(sides) == 1:
        sides = sides * 2
    if len(sides) != 2:
        raise ValueError(f"size {text!r}: expected N or HxW (e.g. 128 or 64x96)")
    height, width = sides
    if min(sides) < MIN_SIDE:
        raise ValueError(f"size {height}x{width} is too small for the shapes (each side needs at "
                         f"least {MIN_SIDE} pixels)")
    if max(sides) > MAX_SIDE:
        raise ValueError(f"size {height}x{width}: each side at most {MAX_SIDE} pixels")
    return height, width


def segmentation(mask):
    """COCO segmentation of a bool [H, W] mask: polygons [[x1, y1, x2, y2, ...], ...] when they
    rasterize (pycocotools) to exactly the mask, else compressed RLE {"size", "counts"}."""
    from pycocotools import mask as mask_utils

    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    big = np.kron(mask.astype(np.uint8), np.ones((UPSAMPLE, UPSAMPLE), np.uint8))
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    # the centre of upsampled pixel u is at (u + 0.5) / UPSAMPLE in original pixel coordinates
    polygons = [((c.reshape(-1).astype(np.float64) + 0.5) / UPSAMPLE).tolist()
                for c in contours if len(c) >= 3]
    if polygons:
        with warnings.catch_warnings():  # pycocotools' Cython __array__ predates NumPy 2's copy=
            warnings.simplefilter("ignore", DeprecationWarning)
            raster = mask_utils.decode(mask_utils.merge(
                mask_utils.frPyObjects(polygons, height, width))).astype(bool)
        if np.array_equal(raster, mask):
            return polygons
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def image_annotations(masks, class_ids, image_id, first_id) -> list:
    """COCO annotations of one image's bool [H, W, N] masks; ids from first_id; empty masks
    (shapes hidden by later ones) are left out."""
    annotations = []
    for i in range(masks.shape[2]):
        mask = masks[:, :, i]
        rows, cols = np.nonzero(np.any(mask, axis=1))[0], np.nonzero(np.any(mask, axis=0))[0]
        if not rows.size:
            continue
        x, y = int(cols[0]), int(rows[0])
        annotations.append({
            "id": first_id + len(annotations), "image_id": int(image_id),
            "category_id": int(class_ids[i]), "segmentation": segmentation(mask),
            "area": int(mask.sum()),
            "bbox": [x, y, int(cols[-1]) + 1 - x, int(rows[-1]) + 1 - y], "iscrowd": 0})
    return annotations


def check_arguments(out_dir, count, size, seed, name) -> tuple[int, int]:
    """(height, width); ValueError with one line for anything unusable."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive whole number, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"name {name!r}: use letters, digits, '.', '_' or '-' (it names "
                         "<name>.json and the folder <name>/), starting with a letter or digit")
    height, width = parse_size(size)
    out_dir = Path(out_dir)
    for path in (out_dir, out_dir / name):
        if path.exists() and not path.is_dir():
            raise ValueError(f"{str(path)!r} exists and is not a folder")
    if (out_dir / f"{name}.json").is_dir():
        raise ValueError(f"{str(out_dir / f'{name}.json')!r} is a folder")
    return height, width


def write_coco(out_dir, count, size=128, seed=0, name="train") -> Path:
    """Write ``count`` shapes images of ``size`` (N, (H, W) or 'HxW') drawn with ``seed`` as
    OUT_DIR/<name>.json and OUT_DIR/<name>/*.png; returns the JSON's path. ValueError (one
    line) for bad arguments, before anything is written."""
    from mrcnn_tf.data.shapes import ShapesDataset

    height, width = check_arguments(out_dir, count, size, seed, name)
    out_dir = Path(out_dir)
    image_dir = out_dir / name
    image_dir.mkdir(parents=True, exist_ok=True)

    dataset = ShapesDataset()
    dataset.load_shapes(int(count), height, width, seed=int(seed))
    dataset.prepare()
    categories = [{"id": int(c["id"]), "name": c["name"], "supercategory": "shape"}
                  for c in dataset.class_info if c["source"] == "shapes"]
    images, annotations = [], []
    for image_id in dataset.image_ids:
        file_name = f"{int(image_id):06d}.png"
        image = dataset.load_image(image_id)
        if not cv2.imwrite(str(image_dir / file_name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"cannot write {str(image_dir / file_name)!r}")
        coco_id = int(image_id) + 1
        images.append({"id": coco_id, "file_name": file_name, "height": height, "width": width})
        masks, class_ids = dataset.load_mask(image_id)
        annotations += image_annotations(masks, class_ids, coco_id, len(annotations) + 1)

    data = {"info": {"description": f"mrcnn_tf shapes sample: {count} images of "
                                    f"{height}x{width}, seed {seed}"},
            "licenses": [], "images": images, "annotations": annotations,
            "categories": categories}
    path = out_dir / f"{name}.json"
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
    os.replace(partial, path)
    return path


def _size(text):
    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="make_coco.py",
        description="Write the synthetic shapes data as COCO JSON plus PNG images.")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to write into (created)")
    parser.add_argument("--count", type=positive_int, required=True, help="number of images")
    parser.add_argument("--size", type=_size, default=(128, 128),
                        help="N (square) or HxW, each side %d..%d (default 128)"
                             % (MIN_SIDE, MAX_SIDE))
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--name", default="train",
                        help="writes <name>.json and the images in <name>/ (default train)")
    args = parser.parse_args(argv)
    try:
        path = write_coco(args.out_dir, args.count, args.size, args.seed, args.name)
    except ValueError as err:
        parser.error(str(err))
    except OSError as err:
        print(f"make_coco.py: error: {err}", file=sys.stderr)
        return 1
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    print(f"wrote {len(data['images'])} images and {len(data['annotations'])} instances: {path} "
          f"(images in {path.with_suffix('')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
