"""Mask R-CNN instance segmentation in Keras 3 that loads matterport's weights.

    import mrcnn_tf
    model = mrcnn_tf.MaskRCNN.from_preset("coco")   # or "torchvision-v2", or a file
    result = model.detect([image])[0]   # rois, class_ids, scores, masks
    picture = mrcnn_tf.visualize.draw_instances(image, result, model.class_names)

``mrcnn_tf.presets()`` lists the published weights; matterport's way works as it did:
``MaskRCNN(mode="inference", config=CocoConfig(IMAGES_PER_GPU=1))`` + ``load_weights(...)``.

``MaskRCNN`` and the modules below are imported on first use, so importing the package (and
running ``mrcnn-tf --help``) does not load TensorFlow.
"""
from mrcnn_tf.class_names import COCO_CLASS_NAMES, TORCHVISION_COCO_CLASS_NAMES
from mrcnn_tf.config import CocoConfig, Config, TorchvisionConfig
from mrcnn_tf.lazy import lazy_attributes

__version__ = "0.1.0"

# Public name -> (module, attribute or None for the module itself), imported on first access.
_LAZY = {
    "MaskRCNN": ("mrcnn_tf.model", "MaskRCNN"),
    "presets": ("mrcnn_tf.weights.published", "presets"),
    "extract_instances": ("mrcnn_tf.extract", "extract_instances"),
    "save_instances": ("mrcnn_tf.extract", "save_instances"),
    "filter_result": ("mrcnn_tf.filtering", "filter_result"),
    "convert_boxes": ("mrcnn_tf.results", "convert_boxes"),
    "semantic_map": ("mrcnn_tf.results", "semantic_map"),
    "instance_map": ("mrcnn_tf.results", "instance_map"),
    "iou": ("mrcnn_tf.ops.boxes", "iou"),
    "mask_iou": ("mrcnn_tf.ops.boxes", "mask_iou"),
    "results": ("mrcnn_tf.results", None),
    "visualize": ("mrcnn_tf.visualize", None),
}

__all__ = ["COCO_CLASS_NAMES", "CocoConfig", "Config", "TORCHVISION_COCO_CLASS_NAMES",
           "TorchvisionConfig", "__version__", *_LAZY]

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
