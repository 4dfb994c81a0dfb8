"""CocoDataset: a COCO-format annotation file and its image folder as a Dataset (pycocotools).

    dataset = CocoDataset()
    dataset.load_coco("annotations/instances_val2017.json", "val2017", class_ids=None)
    dataset.prepare()

Crowd annotations (iscrowd=1) come out of load_mask with negative class ids, as matterport's:
training keeps anchors and ROIs that overlap them out of the negatives. Malformed entries are
checked when the file is loaded: each is logged with its annotation id, listed in
``dataset.problems``, and skipped, so a bad entry cannot stop a run later; ``dataset.skipped``
groups them by reason (reason -> names of the skipped annotations or image files), for a
summary. ``load_coco(..., strict_boxes=True, skip_crowd=True, check_images=True)`` (what
``mrcnn-tf train`` asks for) also skips annotations whose box is empty or outside the image,
crowd annotations, and image files whose header no image reader recognizes.
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
        self.skipped = {}  # reason -> [name of the skipped annotation or image file]
        self.coco = None

    def _problem(self, message, reason=None, name=None):
        self.problems.append(message)
        if reason is not None:
            self.skipped.setdefault(reason, []).append(name)
        logger.warning("%s", message)

    def _checked_annotations(self, data, category_ids, image_ids, *, strict_boxes=False,
                             skip_crowd=False):
        """The usable annotations of the parsed JSON; the others are reported."""
        usable = []
        for ann in data.get("annotations", []):
            if not isinstance(ann, dict) or any(k not in ann for k in REQUIRED_KEYS):
                missing = [k for k in REQUIRED_KEYS if not isinstance(ann, dict) or k not in ann]
                ident = ann.get("id", "?") if isinstance(ann, dict) else "?"
                self._problem(f"annotation {ident}: missing {', '.join(missing)}; skipped",
                              "annotation without id, image_id or category_id", str(ident))
                continue
            where = f"annotation {ann['id']} (image {ann['image_id']})"
            name = f"annotation {ann['id']}"
            if ann["category_id"] not in category_ids:
                self._problem(f"{where}: category {ann['category_id']} is not listed in "
                              "categories; skipped", "unlisted category", name)
            elif ann["image_id"] not in image_ids:
                self._problem(f"{where}: image {ann['image_id']} is not listed in images; "
                              "skipped", "unlisted image", name)
            elif skip_crowd and ann.get("iscrowd"):
                self._problem(f"{where}: crowd annotation (iscrowd=1); skipped",
                              "crowd annotation", name)
            elif (why := _polygon_problem(ann.get("segmentation"))) is not None:
                reason = ("polygon with fewer than 3 points" if why.startswith("polygon")
                          else "no usable segmentation")
                self._problem(f"{where}: {why}; skipped", reason, name)
            elif strict_boxes and (why := _box_problem(ann.get("bbox"),
                                                       image_ids[ann["image_id"]])):
                self._problem(f"{where}: {why}; skipped", why.split(" (")[0], name)
            else:
                usable.append(ann)
        return usable

    def load_coco(self, annotations, images, *, class_ids=None, return_coco=False,
                  strict_boxes=False, skip_crowd=False, check_images=False):
        """Load a COCO annotation JSON (path) whose file_names are relative to ``images``.

        class_ids: COCO category ids to keep (default all); only images with one of them are
        added when given. Returns the pycocotools COCO object when return_coco is True.
        strict_boxes: skip annotations whose bbox is empty or reaches outside the image;
        skip_crowd: skip crowd annotations (iscrowd=1); check_images: skip image files whose
        header cannot be read. Each is reported (problems, skipped).
        """
        from pycocotools.coco import COCO

        with open(os.fspath(annotations), encoding="utf-8") as f:
            data = json.load(f)
        categories = {c["id"]: c for c in data.get("categories", [])}
        listed_images = {img["id"]: img for img in data.get("images", [])}
        self._check_images = check_images
        data["annotations"] = self._checked_annotations(data, categories, listed_images,
                                                        strict_boxes=strict_boxes,
                                                        skip_crowd=skip_crowd)
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
                          f"annotations ({ids})", "missing image file",
                          info.get("file_name") or f"image {info['id']}")
            return
        if getattr(self, "_check_images", False) and not _readable_image(path):
            self._problem(f"image {info['id']}: file {path!r} is not a readable image; "
                          "skipped", "unreadable image file", info["file_name"])
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


def _box_problem(bbox, image) -> str | None:
    """Why a COCO bbox [x, y, w, h] cannot be trained on, or None (no bbox: None, the mask
    gives the box). image: the image's entry (width, height)."""
    if bbox is None:
        return None
    try:
        x, y, w, h = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return f"bbox {bbox!r} is not [x, y, w, h]"
    if not (w > 0 and h > 0):
        return f"empty box (bbox {bbox})"
    width, height = image.get("width"), image.get("height")
    if width and height and (x >= width or y >= height or x + w <= 0 or y + h <= 0
                             or x < -1 or y < -1 or x + w > width + 1 or y + h > height + 1):
        return f"box outside the image (bbox {bbox}, image {width}x{height})"
    return None


def _readable_image(path) -> bool:
    """True when the file's header is an image's (nothing decoded)."""
    from mrcnn_tf.image_decode import image_size

    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return image_size(head) is not None


def _ann_to_mask(mask_utils, ann, height, width) -> np.ndarray:
    """[H, W] mask of a polygon (rasterized by pycocotools, as COCO's annToMask), RLE or
    uncompressed RLE segmentation."""
    segmentation = ann["segmentation"]
    if isinstance(segmentation, list):
        return mask_utils.decode(mask_utils.merge(
            mask_utils.frPyObjects(segmentation, height, width)))
    return rle_to_mask(segmentation)
