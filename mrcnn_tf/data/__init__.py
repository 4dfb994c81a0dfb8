"""Data sets for training and evaluation: matterport's Dataset interface, COCO, toy shapes.

    from mrcnn_tf.data import Dataset, CocoDataset, ShapesDataset

CocoDataset (pycocotools) and ShapesDataset are imported on first use.
"""
from mrcnn_tf.data.dataset import Dataset
from mrcnn_tf.lazy import lazy_attributes

_LAZY = {"CocoDataset": "mrcnn_tf.data.coco_dataset", "ShapesDataset": "mrcnn_tf.data.shapes"}

__all__ = ["CocoDataset", "Dataset", "ShapesDataset"]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
