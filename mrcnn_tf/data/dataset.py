"""Dataset: matterport's base class for training and evaluation data.

Subclass it, register classes with ``add_class`` and images with ``add_image`` (any extra
keyword is kept in ``image_info``), override ``load_mask`` (and ``load_image`` if images are
not files), then call ``prepare()``. Class ids: the dataset's internal ids are 0..N-1 with 0
the background "BG"; each class also has a (source, source id) pair, e.g. ("coco", 18), so
several sources can be merged.
"""
from __future__ import annotations

import logging
import os

import cv2
import numpy as np

from mrcnn_tf.image_decode import (DEFAULT_MAX_PIXELS, ImageTooLargeError, check_pixels,
                                   image_size)

logger = logging.getLogger(__name__)


class Dataset:
    """matterport's utils.Dataset interface (see module docstring).

    max_pixels: load_image does not decode an image whose header states more pixels (width x
    height), nor one whose header states no size (image_decode); None: no limit.
    """

    max_pixels = DEFAULT_MAX_PIXELS

    def __init__(self, class_map=None):
        del class_map  # accepted for compatibility, unused (as in matterport)
        self._image_ids = np.zeros([0], dtype=np.int64)
        self.image_info = []
        self.class_info = [{"source": "", "id": 0, "name": "BG"}]
        self.source_class_ids = {}

    def add_class(self, source, class_id, class_name):
        """Register a class of a source; adding the same (source, class_id) again does nothing."""
        if "." in source:
            raise ValueError(f"source name {source!r} must not contain a dot")
        for info in self.class_info:
            if info["source"] == source and info["id"] == class_id:
                return
        self.class_info.append({"source": source, "id": class_id, "name": class_name})

    def add_image(self, source, image_id, path, **kwargs):
        """Register an image: its source, id within the source, path, and any other fields."""
        self.image_info.append({"id": image_id, "source": source, "path": path, **kwargs})

    def image_reference(self, image_id):
        """A string naming the image for people (a URL or path); "" by default."""
        return ""

    def prepare(self, class_map=None):
        """Build the lookup tables; call after adding classes and images."""
        del class_map
        self.num_classes = len(self.class_info)
        self.class_ids = np.arange(self.num_classes)
        self.class_names = [_clean_name(c["name"]) for c in self.class_info]
        self.num_images = len(self.image_info)
        self._image_ids = np.arange(self.num_images)
        self.class_from_source_map = {f"{info['source']}.{info['id']}": class_id
                                      for info, class_id in zip(self.class_info, self.class_ids)}
        self.image_from_source_map = {f"{info['source']}.{info['id']}": image_id
                                      for info, image_id in zip(self.image_info, self.image_ids)}
        self.sources = sorted({info["source"] for info in self.class_info})
        self.source_class_ids = {
            source: [i for i, info in enumerate(self.class_info)
                     if i == 0 or info["source"] == source]
            for source in self.sources}

    def map_source_class_id(self, source_class_id):
        """Internal class id of "source.id" (e.g. "coco.12")."""
        return self.class_from_source_map[source_class_id]

    def get_source_class_id(self, class_id, source):
        """The source's id of an internal class id; ValueError if the class is not from source."""
        info = self.class_info[class_id]
        if info["source"] != source:
            raise ValueError(f"class {class_id} ({info['name']!r}) is from source "
                             f"{info['source']!r}, not {source!r}")
        return info["id"]

    @property
    def image_ids(self):
        """Internal image ids 0..num_images-1 (after prepare())."""
        return self._image_ids

    def source_image_link(self, image_id):
        """The image's path or URL."""
        return self.image_info[image_id]["path"]

    def load_image(self, image_id):
        """The image as uint8 RGB [H, W, 3] (grayscale is stacked, alpha dropped). Raises
        FileNotFoundError / ValueError naming the file when it is missing or unreadable, and
        image_decode.ImageTooLargeError (a ValueError) without decoding it when its header
        states more than max_pixels pixels."""
        path = self.image_info[image_id]["path"]
        image = None
        if os.path.isfile(str(path)):
            data = np.fromfile(str(path), np.uint8)
            size = image_size(data) if self.max_pixels is not None else (0, 0, None)
            if size is not None:
                try:
                    check_pixels(size[0], size[1], self.max_pixels)
                except ImageTooLargeError as err:
                    raise ImageTooLargeError(err.width, err.height, err.max_pixels,
                                             f"image {image_id} ({path})") from None
                image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        if image is None:
            raise (ValueError if os.path.exists(str(path)) else FileNotFoundError)(
                f"image {image_id} ({path}): cannot be read as an image")
        if image.dtype == np.uint16:
            image = (image // 257).astype(np.uint8)
        if image.ndim == 2:
            return np.stack([image] * 3, axis=-1)
        code = cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
        return cv2.cvtColor(image, code)

    def load_mask(self, image_id):
        """Instance masks of an image: (bool [H, W, N], int32 class ids [N]).

        Override in subclasses. The default has no instances (and logs a warning), as
        matterport's, so such images are skipped in training.
        """
        logger.warning("load_mask is not defined for %s; image %s has no instances",
                       type(self).__name__, image_id)
        return np.empty([0, 0, 0], dtype=bool), np.empty([0], np.int32)


def _clean_name(name):
    """'person, people' -> 'person' (matterport's clean_name: first comma-separated part)."""
    return ",".join(str(name).split(",")[:1])
