"""Mask R-CNN instance segmentation in Keras 3 that loads matterport's weights.

    import mrcnn_tf
    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(IMAGES_PER_GPU=1))
    model.load_weights("mask_rcnn_coco.h5")
    result = model.detect([image])[0]   # rois, class_ids, scores, masks
"""
from mrcnn_tf.class_names import COCO_CLASS_NAMES
from mrcnn_tf.config import CocoConfig, Config
from mrcnn_tf.model import MaskRCNN

__version__ = "0.1.0"
__all__ = ["COCO_CLASS_NAMES", "CocoConfig", "Config", "MaskRCNN", "__version__"]
