"""COCO-style evaluation of a model on a Dataset with pycocotools (bbox and segm AP).

Ground truth comes from ``dataset.coco`` (a CocoDataset) or, for any other Dataset, is built
from its load_mask (crowd regions, negative class ids, become iscrowd=1). Detections are
converted to COCO results: bbox [x, y, width, height] pixels, segmentation as compressed RLE,
category ids via ``category_ids`` (model class id -> category id).
"""
from __future__ import annotations

import contextlib
import io
import time

from tqdm import tqdm

from mrcnn_tf.results import boxes_to_xywh, mask_to_rle, masks_to_rle
from mrcnn_tf.ops.boxes import extract_bboxes

STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl")


def coco_results(image_id, result, category_ids) -> list:
    """COCO result dicts of one image's detect() result. category_ids: sequence or dict
    mapping model class id -> COCO category id."""
    bboxes = boxes_to_xywh(result["rois"])
    return [{"image_id": int(image_id), "category_id": int(category_ids[int(class_id)]),
             "bbox": [int(v) for v in bboxes[i]], "score": float(result["scores"][i]),
             "segmentation": rle}
            for i, (class_id, rle) in enumerate(zip(result["class_ids"],
                                                    masks_to_rle(result["masks"])))]


def dataset_category_ids(dataset, source) -> dict:
    """{internal class id: source class id} of a prepared Dataset's classes from source."""
    return {i: info["id"] for i, info in enumerate(dataset.class_info)
            if i and info["source"] == source}


def category_mapping(dataset, num_classes: int) -> dict:
    """Model class id -> category id for a CocoDataset: the file's own categories when the
    model has as many classes (trained on it); COCO's ids for an 81-class model when the file's
    categories are COCO's. Raises ValueError when neither fits."""
    from mrcnn_tf.class_names import COCO_CATEGORY_IDS

    own = dataset_category_ids(dataset, "coco")
    if len(own) + 1 == num_classes:
        return own
    file_ids = set(own.values())
    if num_classes == len(COCO_CATEGORY_IDS) + 1 and file_ids <= set(COCO_CATEGORY_IDS):
        return {i + 1: c for i, c in enumerate(COCO_CATEGORY_IDS)}
    raise ValueError(f"the weights have NUM_CLASSES={num_classes} but the annotation file has "
                     f"{len(own)} categories (+1 background) that are not COCO's; they cannot "
                     "be matched")


def ground_truth_coco(dataset, image_ids, category_ids):
    """A pycocotools COCO object holding the masks of ``image_ids`` (internal ids, which are
    also the COCO image ids) from dataset.load_mask."""
    from pycocotools.coco import COCO

    images, annotations = [], []
    for image_id in image_ids:
        masks, class_ids = dataset.load_mask(image_id)
        height, width = masks.shape[:2]
        if masks.shape[-1] == 0:
            height, width = dataset.load_image(image_id).shape[:2]
        images.append({"id": int(image_id), "height": int(height), "width": int(width)})
        bboxes = boxes_to_xywh(extract_bboxes(masks))
        areas = masks.sum(axis=(0, 1))
        for i, class_id in enumerate(class_ids):
            if not areas[i]:
                continue
            annotations.append({
                "id": len(annotations) + 1, "image_id": int(image_id),
                "category_id": int(category_ids[abs(int(class_id))]),
                "iscrowd": int(class_id < 0), "segmentation": mask_to_rle(masks[..., i]),
                "area": float(areas[i]), "bbox": [int(v) for v in bboxes[i]]})
    coco = COCO()
    coco.dataset = {"images": images, "annotations": annotations,
                    "categories": [{"id": int(c)} for c in sorted(set(category_ids.values()))]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def run_detections(model, dataset, image_ids, *, progress=True):
    """detect() over the images in batches of config.BATCH_SIZE, with a progress bar (img/s).
    Yields (image_id, result)."""
    batch = model.config.BATCH_SIZE
    with tqdm(total=len(image_ids), unit="img", disable=not progress, desc="evaluate") as bar:
        for start in range(0, len(image_ids), batch):
            chunk = list(image_ids[start:start + batch])
            results = model.detect([dataset.load_image(i) for i in chunk], batch_size=batch)
            bar.update(len(chunk))
            yield from zip(chunk, results)


def evaluate_coco(model, dataset, eval_type=("bbox", "segm"), limit=None, *, image_ids=None,
                  category_ids=None, progress=True, verbose=False) -> dict:
    """COCO AP of an inference-mode MaskRCNN on a prepared Dataset.

    eval_type: "bbox", "segm" or both. limit: evaluate the first ``limit`` images only.
    category_ids: model class id -> COCO category id (default: a CocoDataset's own mapping;
    for other datasets the class ids themselves). verbose: print pycocotools' summary tables.
    Returns {eval type: {"AP", "AP50", "AP75", "APs", "APm", "APl"}} (floats, -1 where
    pycocotools has no instance of that size) plus "images" and "seconds" (detection time).
    """
    from pycocotools.cocoeval import COCOeval

    eval_types = (eval_type,) if isinstance(eval_type, str) else tuple(eval_type)
    for name in eval_types:
        if name not in ("bbox", "segm"):
            raise ValueError(f"eval_type {name!r}: expected 'bbox' or 'segm'")
    image_ids = list(dataset.image_ids if image_ids is None else image_ids)[:limit]
    if not image_ids:
        raise ValueError("no images to evaluate")
    coco = getattr(dataset, "coco", None)
    if category_ids is None and coco is not None:
        category_ids = dataset_category_ids(dataset, "coco")
    elif category_ids is None:  # ground truth built here: the class ids serve as categories
        category_ids = {i: i for i in range(1, len(dataset.class_info))}
    if coco is not None:
        source_ids = [dataset.image_info[i]["id"] for i in image_ids]
    else:
        coco = ground_truth_coco(dataset, image_ids, category_ids)
        source_ids = image_ids

    start = time.perf_counter()
    results = []
    source_of = dict(zip(image_ids, source_ids))
    for image_id, result in run_detections(model, dataset, image_ids, progress=progress):
        results += coco_results(source_of[image_id], result, category_ids)
    seconds = time.perf_counter() - start

    summary = {"images": len(image_ids), "seconds": seconds}
    for name in eval_types:
        summary[name] = _cocoeval(COCOeval, coco, results, name, source_ids, verbose)
    return summary


def _cocoeval(cocoeval_class, coco, results, eval_type, image_ids, verbose) -> dict:
    if not results:  # loadRes cannot take an empty list; no detection scores 0
        return {name: 0.0 for name in STAT_NAMES}
    with contextlib.redirect_stdout(io.StringIO()) as log:
        detections = coco.loadRes(results)
        evaluator = cocoeval_class(coco, detections, eval_type)
        evaluator.params.imgIds = [int(i) for i in image_ids]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    if verbose:
        print(log.getvalue())
    return {name: float(evaluator.stats[i]) for i, name in enumerate(STAT_NAMES)}
