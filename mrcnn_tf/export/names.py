"""The serving contract's names: signatures, inputs, outputs, assets (no TensorFlow import)."""

INPUT_KINDS = ("bytes", "tensor")
MASK_FORMATS = ("box", "image")

BYTES_SIGNATURE = "serving_default"        # input "image_bytes": string [B]
TENSOR_SIGNATURE = "serving_image_tensor"  # input "images": uint8 [B, H, W, 3]
BYTES_INPUT = "image_bytes"
TENSOR_INPUT = "images"

NUM_DETECTIONS = "num_detections"
BOXES = "detection_boxes"
CLASSES = "detection_classes"
SCORES = "detection_scores"
MASKS = "detection_masks"
CLASS_NAMES = "detection_class_names"
OUTPUTS = (NUM_DETECTIONS, BOXES, CLASSES, SCORES, MASKS, CLASS_NAMES)

CLASS_NAMES_ASSET = "class_names.txt"
CONFIG_ASSET = "mrcnn_config.json"
