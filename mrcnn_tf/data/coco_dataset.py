"""CocoDataset: a COCO-format annotation file and its image folder as a Dataset (pycocotools).

    dataset = CocoDataset()
    dataset.load_coco("annotations/instances_val2017.json", "val2017", class_ids=None)
    dataset.prepare()

Crowd annotations (iscrowd=1) come out of load_mask with negative class ids, as matterport's:
training keeps anchors and ROIs that overlap them out of the negatives. Malformed entries are
checked when the file is loaded: each is logged with its annotation id, listed in
``dataset.problems``, and skipped, so a bad entry cannot stop a run later.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os

import numpy as np

from mrcnn_tf.data.dataset import Dataset
from mrcnn_tf.results import rle_to_mask

logger = logging.getLogger(__name__)
SOURCE = "coco"
REQUIRED_KEYS = ("id", "image_id", "category_id")


def _polygon_problem(segmentation):
    """Why a segmentation cannot be used, or None. Polygons need >= 3 points (6 numbers)."""
    if isinstance(segmentation, dict):
        return None if "counts" in segmentation and "size" in segmentation else \
            "RLE segmentation without counts/size"
    if not isinstance(segmentation, list) or not segmentation:
        return "no segmentation"
    for polygon in segmentation:
        if not isinstance(polygon, list) or len(polygon) < 6 or len(polygon) % 2:
            points = len(polygon) // 2 if isinstance(polygon, list) else 0
            return f"polygon with {points} point(s) (needs at least 3)"
    return None


class CocoDataset(Dataset):
    """COCO-format instance annotations; see module docstring."""

    def __init__(self, class_map=None):
        super().__init__(class_map)
        self.problems = []  # one line per skipped annotation or image
        self.coco = None

    def _problem(self, message):
        self.problems.append(message)
        logger.warning("%s", message)

    def _checked_annotations(self, data, category_ids, image_ids):
        """The usable annotations of the parsed JSON; the others are reported."""
        usable = []
        for ann in data.get("annotations", []):
            if not isinstance(ann, dict) or any(k not in ann for k in REQUIRED_KEYS):
                missing = [k for k in REQUIRED_KEYS if not isinstance(ann, dict) or k not in ann]
                ident = ann.get("id", "?") if isinstance(ann, dict) else "?"
                self._problem(f"annotation {ident}: missing {', '.join(missing)}; skipped")
                continue
            where = f"annotation {ann['id']} (image {ann['image_id']})"
            if ann["category_id"] not in category_ids:
                self._problem(f"{where}: category {ann['category_id']} is not listed in "
                              "categories; skipped")
            elif ann["image_id"] not in image_ids:
                self._problem(f"{where}: image {ann['image_id']} is not listed in images; skipped")
            elif (why := _polygon_problem(ann.get("segmentation"))) is not None:
                self._problem(f"{where}: {why}; skipped")
            else:
                usable.append(ann)
        return usable

    def load_coco(self, annotations, images, *, class_ids=None, return_coco=False):
        """Load a COCO annotation JSON (path) whose file_names are relative to ``images``.

        class_ids: COCO category ids to keep (default all); only images with one of them are
        added when given. Returns the pycocotools COCO object when return_coco is True.
        """
        from pycocotools.coco import COCO

        with open(os.fspath(annotations), encoding="utf-8") as f:
            data = json.load(f)
        categories = {c["id"]: c for c in data.get("categories", [])}
        listed_images = {img["id"]: img for img in data.get("images", [])}
        data["annotations"] = self._checked_annotations(data, categories, listed_images)
        coco = COCO()
        coco.dataset = data
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
            coco.createIndex()
        self.coco = coco

        if class_ids is None:
            class_ids = sorted(categories)
        unknown = [c for c in class_ids if c not in categories]
        if unknown:
            raise ValueError(f"class_ids {unknown} are not categories of {os.fspath(annotations)!r} "
                             f"(it has {sorted(categories)})")
        for category_id in class_ids:
            self.add_class(SOURCE, category_id, categories[category_id]["name"])
        wanted = set(class_ids)
        image_ids = sorted(listed_images) if wanted == set(categories) else sorted(
            {i for c in class_ids for i in coco.getImgIds(catIds=[c])})
        for image_id in image_ids:
            self._add_coco_image(coco, listed_images[image_id], os.fspath(images), wanted)
        return coco if return_coco else None

    def _add_coco_image(self, coco, info, folder, wanted):
        anns = [a for a in coco.imgToAnns.get(info["id"], []) if a["category_id"] in wanted]
        path = os.path.join(folder, info.get("file_name", ""))
        if not info.get("file_name") or not os.path.isfile(path):
            ids = ", ".join(str(a["id"]) for a in anns) or "none"
            self._problem(f"image {info['id']}: file {path!r} is missing; skipped with its "
                          f"annotations ({ids})")
            return
        self.add_image(SOURCE, image_id=info["id"], path=path, width=info.get("width"),
                       height=info.get("height"), annotations=anns,
                       coco_url=info.get("coco_url"))

    def load_mask(self, image_id):
        """(bool [H, W, N], int32 [N]); crowd regions have negative class ids. Annotations too
        small to cover a pixel are dropped; a crowd mask of the wrong size covers the image."""
        from pycocotools import mask as mask_utils

        info = self.image_info[image_id]
        if info["source"] != SOURCE:
            return super().load_mask(image_id)
        height, width = info["height"], info["width"]
        masks, class_ids = [], []
        for ann in info["annotations"]:
            class_id = self.map_source_class_id(f"{SOURCE}.{ann['category_id']}")
            try:
                mask = _ann_to_mask(mask_utils, ann, height, width)
            except Exception as err:  # a damaged RLE / polygon must not stop a run
                self._problem(f"annotation {ann['id']} (image {ann['image_id']}): cannot be "
                              f"rasterized ({err}); skipped")
                continue
            if mask.max() < 1:
                continue
            if ann.get("iscrowd"):
                class_id = -class_id
                if mask.shape != (height, width):
                    mask = np.ones([height, width], dtype=bool)
            masks.append(mask.astype(bool))
            class_ids.append(class_id)
        if not masks:
            return np.zeros([height, width, 0], dtype=bool), np.zeros([0], dtype=np.int32)
        return np.stack(masks, axis=2), np.array(class_ids, dtype=np.int32)

    def image_reference(self, image_id):
        info = self.image_info[image_id]
        return info.get("coco_url") or info["path"]


def _ann_to_mask(mask_utils, ann, height, width) -> np.ndarray:
    """[H, W] mask of a polygon (rasterized by pycocotools, as COCO's annToMask), RLE or
    uncompressed RLE segmentation."""
    segmentation = ann["segmentation"]
    if isinstance(segmentation, list):
        return mask_utils.decode(mask_utils.merge(
            mask_utils.frPyObjects(segmentation, height, width)))
    return rle_to_mask(segmentation)
