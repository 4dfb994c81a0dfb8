"""Keep only the detections asked for: target classes and a minimum score.

Class names match case-insensitively, with ``_``/``-`` taken as spaces and runs of spaces
collapsed ("Hair_Drier" finds "hair drier"). An unknown name raises ValueError listing the
nearest valid names ("hair dryer" -> did you mean 'hair drier'?).
"""
from __future__ import annotations

import difflib
import re

import numpy as np

from mrcnn_tf.results import check_result

SUGGESTIONS = 3  # nearest valid names listed for an unknown class name


def normalize_name(name: str) -> str:
    """Lower case, '_' and '-' as spaces, single spaces, no outer spaces."""
    return re.sub(r"\s+", " ", re.sub(r"[_\-]", " ", str(name))).strip().lower()


def parse_classes(classes) -> list:
    """A comma-separated string ("person,car") or an iterable of names / class ids -> list."""
    if isinstance(classes, str):
        return [part for part in (p.strip() for p in classes.split(",")) if part]
    if isinstance(classes, (int, np.integer)):
        return [int(classes)]
    return list(classes)


def nearest_names(name: str, class_names, n: int = SUGGESTIONS) -> list:
    """Up to n valid class names (background excluded) closest to name, closest first."""
    valid = [str(c) for c in class_names[1:]]
    by_key = {normalize_name(c): c for c in valid}
    key = normalize_name(name)
    contained = [c for k, c in by_key.items() if key and (key in k or k in key)]
    close = [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.0)]
    return list(dict.fromkeys(close[:1] + contained + close))[:n]


def class_ids_for(classes, class_names) -> list:
    """Class ids for names (case-insensitive) or ids; raises ValueError for unknown ones.

    classes: "person,car", ["person", "car"] or [1, 3]. class_names: index = class id, "BG"
    first. The background class is not a valid target.
    """
    lookup = {normalize_name(c): i for i, c in enumerate(class_names) if i > 0}
    background = normalize_name(class_names[0]) if len(class_names) else ""
    ids, problems = [], []
    for item in parse_classes(classes):
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if 1 <= item < len(class_names):
                ids.append(int(item))
            else:
                problems.append(f"class id {item} is out of range 1-{len(class_names) - 1}")
            continue
        key = normalize_name(item)
        if key in lookup:
            ids.append(lookup[key])
        elif key == background:
            problems.append(f"{item!r} is the background class, which is never detected")
        else:
            near = " or ".join(repr(c) for c in nearest_names(item, class_names))
            problems.append(f"unknown class {item!r}; did you mean {near}?")
    if problems:
        raise ValueError("; ".join(problems))
    if not ids:
        raise ValueError("classes: no class names given")
    return list(dict.fromkeys(ids))


def select(result, keep) -> dict:
    """The result's instances at ``keep`` (bool [N] or indices), as a new dict (without
    ``masks`` when the result has none)."""
    result = check_result(result, masks_optional=True)
    keep = np.asarray(keep)
    if keep.dtype == bool:
        keep = np.flatnonzero(keep)
    selected = {"rois": result["rois"][keep], "class_ids": result["class_ids"][keep],
                "scores": result["scores"][keep]}
    if "masks" in result:
        selected["masks"] = result["masks"][:, :, keep]
    return selected


def filter_result(result, class_names, classes=None, min_score=None) -> dict:
    """Keep the detections of the target classes with score >= min_score.

    result: a MaskRCNN.detect result (rois [N, 4] y1x1y2x2, class_ids [N], scores [N],
    masks bool [H, W, N], absent after detect(..., masks=False)). classes: None (all),
    "person,car", or a list of names / class ids; names match case-insensitively. Returns a
    new result dict in the same order; the input is not modified. Raises ValueError for
    unknown class names, listing the nearest ones.
    """
    result = check_result(result, masks_optional=True)
    keep = np.ones(len(result["class_ids"]), bool)
    if classes is not None:
        keep &= np.isin(result["class_ids"], class_ids_for(classes, class_names))
    if min_score is not None:
        keep &= result["scores"] >= float(min_score)
    return select(result, keep)
