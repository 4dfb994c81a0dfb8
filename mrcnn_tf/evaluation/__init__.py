"""Evaluation: COCO mAP of a model on an annotated image set (coco, with pycocotools),
matterport's metrics (compute_ap, compute_overlaps, ...) and the parity criterion (agreement).

    from mrcnn_tf.evaluation import evaluate_coco
    summary = evaluate_coco(model, dataset)          # {"bbox": {"AP": ...}, "segm": ...}
"""
from mrcnn_tf.lazy import lazy_attributes

_LAZY = {"evaluate_coco": "mrcnn_tf.evaluation.coco",
         "compare_detections": "mrcnn_tf.evaluation.agreement"}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
