"""Data sets for training and evaluation: matterport's Dataset interface, COCO, toy shapes.

    from mrcnn_tf.data import Dataset, CocoDataset, ShapesDataset

CocoDataset (pycocotools) and ShapesDataset are imported on first use.
"""
import importlib

from mrcnn_tf.data.dataset import Dataset

_LAZY = {"CocoDataset": "mrcnn_tf.data.coco", "ShapesDataset": "mrcnn_tf.data.shapes"}

__all__ = ["CocoDataset", "Dataset", "ShapesDataset"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'mrcnn_tf.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
