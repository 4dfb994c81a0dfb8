"""Train two steps under MirroredStrategy on two logical CPU devices; print a JSON report.

Run by test_distributed.py (matterport's family) and test_torchvision_distributed.py
(torchvision v1, with augmentation) in a subprocess, because the logical devices must be
configured before TensorFlow initializes.
Usage: python distributed_run.py WEIGHTS MODEL_DIR [matterport | torchvision_v1]
"""
import json
import re
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import mrcnn_tf  # noqa: E402
from mrcnn_tf.data import ShapesDataset  # noqa: E402
from mrcnn_tf.training.augmentation import default_augmentation  # noqa: E402
from mrcnn_tf.training.layer_selection import LAYER_REGEX  # noqa: E402
from mrcnn_tf.weights.torchvision_loader import CLASS_SPECIFIC_LAYERS  # noqa: E402

COMMON = dict(NUM_CLASSES=4, IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128,
              TRAIN_ROIS_PER_IMAGE=32, RPN_TRAIN_ANCHORS_PER_IMAGE=64, MAX_GT_INSTANCES=5,
              STEPS_PER_EPOCH=2, VALIDATION_STEPS=1)


def build(family, weights, model_dir, strategy):
    """(model with weights loaded, the kernel to watch, train() keyword arguments)."""
    if family == "matterport":
        config = mrcnn_tf.Config(NAME="shapes", BACKBONE="resnet50",
                                 RPN_ANCHOR_SCALES=(8, 16, 32, 64, 128),
                                 POST_NMS_ROIS_TRAINING=256, **COMMON)
        model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=model_dir,
                                  strategy=strategy)
        model.load_weights(weights, exclude=[
            layer.name for layer in model.keras_model.layers
            if layer.weights and re.fullmatch(LAYER_REGEX["heads"], layer.name)])
        return model, "mrcnn_mask", {"learning_rate": 0.005}
    config = mrcnn_tf.TorchvisionConfig(NAME="tvshapes", ARCHITECTURE=family,
                                        POST_NMS_ROIS_TRAINING=128, PRE_NMS_LIMIT=128, **COMMON)
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=model_dir,
                              strategy=strategy)
    model.load_weights(weights, exclude=CLASS_SPECIFIC_LAYERS)
    return (model, "roi_heads.mask_predictor.mask_fcn_logits",
            {"learning_rate": 0.001, "augmentation": default_augmentation(), "seed": 0})


def main(weights, model_dir, family="matterport"):
    keras.utils.set_random_seed(0)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    dataset = ShapesDataset()
    dataset.load_shapes(4, 128, 128, seed=0)
    dataset.prepare()
    model, watched, train_kwargs = build(family, weights, model_dir, strategy)
    kernel = model.keras_model.get_layer(watched).weights[0]
    before = kernel.numpy().copy()
    history = model.train(dataset, dataset, epochs=1, layers="heads", verbose=0,
                          **train_kwargs)
    inner = getattr(kernel, "value", kernel)  # Keras 3 variables wrap the tf.Variable
    replicas = [v.numpy() for v in getattr(inner, "values", [inner])]
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "variable_copies": len(replicas),
        "copies_equal": all(np.array_equal(replicas[0], r) for r in replicas[1:]),
        "changed": bool(not np.array_equal(before, replicas[0])),
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
        "checkpoint": model.last_checkpoint,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
