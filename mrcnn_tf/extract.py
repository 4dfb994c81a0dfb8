"""Cut detected objects out of the image: RGBA crops of each box with the mask as alpha."""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import numpy as np

from mrcnn_tf.results import check_result, class_name
from mrcnn_tf.visualize.image import as_rgb_uint8


@dataclasses.dataclass
class ExtractedInstance:
    """One detected object.

    index: position in the result. box: (y1, x1, y2, x2) pixels of the crop in the image,
    y2/x2 exclusive (the detection box clipped to the image). rgba: uint8 [y2-y1, x2-x1, 4],
    alpha 255 on the mask and 0 elsewhere. mask_area: mask pixels in the whole image.
    """

    index: int
    class_id: int
    class_name: str
    score: float
    box: tuple
    mask_area: int
    rgba: np.ndarray


def extract_instances(image, result, class_names) -> list:
    """One ExtractedInstance per detection, in the result's order.

    image: anything detect() accepts (RGB, grayscale, RGBA, uint16, float). result: its
    detect() result (rois [N, (y1, x1, y2, x2)], class_ids, scores, masks bool [H, W, N]).
    class_names: index = class id. The input arrays are not modified.
    """
    rgb = as_rgb_uint8(image)
    result = check_result(result, image_shape=rgb.shape)
    height, width = rgb.shape[:2]
    instances = []
    for i, box in enumerate(result["rois"]):
        y1, x1 = min(max(int(box[0]), 0), height), min(max(int(box[1]), 0), width)
        y2, x2 = min(max(int(box[2]), y1), height), min(max(int(box[3]), x1), width)
        mask = result["masks"][:, :, i]
        alpha = np.where(mask[y1:y2, x1:x2], 255, 0).astype(np.uint8)
        rgba = np.concatenate([rgb[y1:y2, x1:x2], alpha[:, :, None]], axis=2)
        class_id = int(result["class_ids"][i])
        instances.append(ExtractedInstance(
            index=i, class_id=class_id, class_name=class_name(class_names, class_id),
            score=float(result["scores"][i]), box=(y1, x1, y2, x2),
            mask_area=int(mask.sum()), rgba=rgba))
    return instances


def instance_filename(instance: ExtractedInstance) -> str:
    """"NNN_CLASS.png": the result index (3+ digits) and the class name made file-safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", instance.class_name).strip("._") or "object"
    return f"{instance.index:03d}_{safe}.png"


def save_instances(instances, directory) -> list:
    """Write each instance's RGBA cut-out as directory/NNN_CLASS.png (OpenCV, PNG keeps the
    alpha). Creates the directory; skips instances whose box is empty. Returns the paths."""
    import cv2

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for instance in instances:
        if instance.rgba.shape[0] == 0 or instance.rgba.shape[1] == 0:
            continue
        path = directory / instance_filename(instance)
        ok, data = cv2.imencode(".png", cv2.cvtColor(instance.rgba, cv2.COLOR_RGBA2BGRA))
        if not ok:
            raise OSError(f"cannot encode {path} as PNG")
        tmp = path.with_name(f".{path.name}.partial.{os.getpid()}")
        tmp.write_bytes(data.tobytes())
        os.replace(tmp, path)
        paths.append(path)
    return paths
