#!/usr/bin/env python3
"""Run matterport's own Mask R-CNN (the TF2 port in PixelLib 0.7.1) and write its detections
in the layout of ../shared/parity/reference_r101_coco.npz, made on THIS machine.

The shared reference was made on another CPU: matterport's own code run here differs from it
by up to ~1.5e-4 in score (same boxes and classes; float rounding of another CPU's kernels).
A reference made here lets the parity test check the tight bound (identical rois and
class_ids, every |score difference| <= 1e-5), which only holds on the same machine, with the
same thread settings (both processes use TensorFlow's default; the file records them under
meta/threads and the test compares). .ci/run does this:

    python3 ../shared/parity/make_weights.py ../shared/parity/manifest_r101.json W.h5
    "$(scripts/matterport_env.sh)" scripts/matterport_reference.py W.h5 --out here.npz
    MRCNN_TF_PARITY_REFERENCE=here.npz MRCNN_TF_PARITY_WEIGHTS=W.h5 \\
        python3 -m pytest tests/inference/test_parity.py

It needs its own environment (PixelLib's code runs on tf-keras, the legacy Keras 2), which
scripts/matterport_env.sh builds (or reuses) under ~/.cache/mrcnn_tf/matterport-env:

    python3 -m venv ENV --system-site-packages
    ENV/bin/pip install "tf-keras==<the installed TensorFlow's major.minor>.*" imantics
    ENV/bin/pip install --no-deps pixellib==0.7.1

Weights are loaded with tf-keras's own HDF5 reader (``by_name=True``), since PixelLib's
``load_weights`` leaves them random on TensorFlow >= 2.16, and every layer of the file is
then checked to hold the file's values (by_name skips what it cannot match, silently).
"""
from __future__ import annotations

import argparse
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import h5py  # noqa: E402
import numpy as np  # noqa: E402

IMAGES = ("astronaut", "coffee", "chelsea")


def build_matterport_model(weights, *, backbone="resnet101", num_classes=81, max_dim=1024,
                           min_dim=800, min_confidence=0.7):
    """PixelLib's MaskRCNN (matterport's code) with the weights loaded and verified."""
    from pixellib.instance import mask_rcnn
    from pixellib.instance.config import Config

    config = Config(BACKBONE=backbone, NUM_CLASSES=num_classes,
                    class_names=["BG"] + ["c"] * (num_classes - 1), IMAGES_PER_GPU=1,
                    IMAGE_MAX_DIM=max_dim, IMAGE_MIN_DIM=min_dim,
                    DETECTION_MIN_CONFIDENCE=min_confidence, IMAGE_RESIZE_MODE="square",
                    GPU_COUNT=1)
    model = mask_rcnn.MaskRCNN(mode="inference", config=config, model_dir=os.getcwd())
    model.keras_model.load_weights(weights, by_name=True)
    verify_loaded(model.keras_model, weights)
    return model


def verify_loaded(keras_model, weights) -> int:
    """Check that every weighted layer of the file holds the file's values in the model.
    Returns the number of layers checked; raises RuntimeError naming the first that does not."""
    checked = 0
    with h5py.File(weights, "r") as f:
        for name in (n.decode() for n in f.attrs["layer_names"]):
            names = [n.decode() for n in f[name].attrs["weight_names"]]
            if not names:
                continue
            stored = [f[name][n][()] for n in names]
            try:
                actual = keras_model.get_layer(name).get_weights()
            except ValueError:
                raise RuntimeError(f"layer {name} of {weights} is not in the model") from None
            if len(actual) != len(stored) or not all(
                    np.array_equal(a, s) for a, s in zip(actual, stored)):
                raise RuntimeError(f"layer {name} does not hold the file's weights: the "
                                   "weights did not load")
            checked += 1
    if not checked:
        raise RuntimeError(f"{weights}: no weighted layer found")
    return checked


def skimage_image(name):
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return image[..., :3]


def thread_settings() -> np.ndarray:
    """TensorFlow's intra- and inter-op thread settings (0: its default) and the CPUs this
    process may run on (the default pools' size): the parity test checks it runs with the same."""
    import tensorflow as tf

    return np.array([tf.config.threading.get_intra_op_parallelism_threads(),
                     tf.config.threading.get_inter_op_parallelism_threads(),
                     len(os.sched_getaffinity(0))], np.int64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="a matterport-layout .h5 (ResNet-101, 81 classes)")
    parser.add_argument("--out", required=True, help="the .npz to write")
    parser.add_argument("--images", default=",".join(IMAGES), help="skimage.data names")
    args = parser.parse_args()
    model = build_matterport_model(args.weights)
    arrays = {}
    for name in args.images.split(","):
        result = model.detect([skimage_image(name)])[0]
        for key in ("rois", "class_ids", "scores", "masks"):
            arrays[f"{name}/{key}"] = result[key]
        print(f"{name}: {len(result['class_ids'])} detections")
    arrays["meta/threads"] = thread_settings()
    np.savez_compressed(args.out, **arrays)


if __name__ == "__main__":
    main()
