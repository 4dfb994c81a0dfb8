"""Train the torchvision v1 family two steps under MirroredStrategy on two logical CPU devices;
print a JSON report. Run by test_torchvision_distributed.py in a subprocess (the logical
devices must be configured before TensorFlow initializes). Usage: python ... WEIGHTS MODEL_DIR
"""
import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import mrcnn_tf  # noqa: E402
from mrcnn_tf.data import ShapesDataset  # noqa: E402
from mrcnn_tf.training.augmentation import default_augmentation  # noqa: E402
from mrcnn_tf.weights.torchvision_loader import CLASS_SPECIFIC_LAYERS  # noqa: E402


def main(weights, model_dir):
    keras.utils.set_random_seed(0)
    strategy = tf.distribute.MirroredStrategy(
        [d.name for d in tf.config.list_logical_devices("CPU")])
    config = mrcnn_tf.TorchvisionConfig(
        NAME="tvshapes", NUM_CLASSES=4, IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128,
        TRAIN_ROIS_PER_IMAGE=32, RPN_TRAIN_ANCHORS_PER_IMAGE=64, POST_NMS_ROIS_TRAINING=128,
        PRE_NMS_LIMIT=128, MAX_GT_INSTANCES=5, STEPS_PER_EPOCH=2, VALIDATION_STEPS=1)
    dataset = ShapesDataset()
    dataset.load_shapes(4, 128, 128, seed=0)
    dataset.prepare()
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=model_dir,
                              strategy=strategy)
    model.load_weights(weights, exclude=CLASS_SPECIFIC_LAYERS)
    kernel = model.keras_model.get_layer("roi_heads.mask_predictor.mask_fcn_logits").weights[0]
    before = kernel.numpy().copy()
    history = model.train(dataset, dataset, learning_rate=0.001, epochs=1, layers="heads",
                          augmentation=default_augmentation(), verbose=0, seed=0)
    inner = getattr(kernel, "value", kernel)
    replicas = [v.numpy() for v in getattr(inner, "values", [inner])]
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "variable_copies": len(replicas),
        "copies_equal": all(np.array_equal(replicas[0], r) for r in replicas[1:]),
        "changed": bool(not np.array_equal(before, replicas[0])),
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
