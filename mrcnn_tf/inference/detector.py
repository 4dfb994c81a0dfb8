"""detect(): images in, matterport result dicts out, through one compiled graph.

The Keras model runs inside a ``tf.function`` with a fixed input signature (batch, height and
width unknown), so images of different sizes and batches of any size reuse one graph.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.inference.images import as_image_list, normalize_image
from mrcnn_tf.inference.postprocessing import unmold_detections
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.ops.anchors import anchors_for_image_shape

DETECTIONS, MRCNN_MASK = 0, 3  # output positions in the inference model


class Detector:
    """Runs an inference model built by modeling.mask_rcnn on numpy images."""

    def __init__(self, keras_model, config):
        self.keras_model = keras_model
        self.config = config
        channels = config.IMAGE_CHANNEL_COUNT
        self._predict = tf.function(
            self._forward, reduce_retracing=False,
            input_signature=[tf.TensorSpec([None, None, None, channels], tf.float32),
                             tf.TensorSpec([None, config.IMAGE_META_SIZE], tf.float32),
                             tf.TensorSpec([None, None, 4], tf.float32)])

    def _forward(self, images, metas, anchors):
        outputs = self.keras_model([images, metas, anchors], training=False)
        return outputs[DETECTIONS], outputs[MRCNN_MASK]

    def predict_molded(self, molded, metas):
        """Run the graph on molded images of one shape: float32 [B, H, W, 3], metas [B, M].

        Returns numpy (detections [B, D, 6], mrcnn_mask [B, D, 28, 28, C]).
        """
        anchors = anchors_for_image_shape(molded.shape[1:3], self.config)
        anchors = np.broadcast_to(anchors, (len(molded),) + anchors.shape)
        detections, masks = self._predict(tf.constant(molded, tf.float32),
                                          tf.constant(metas, tf.float32),
                                          tf.constant(anchors, tf.float32))
        return detections.numpy(), masks.numpy()

    def check_molded_shape(self, shape, index):
        if shape[0] % 64 or shape[1] % 64:
            raise ValueError(
                f"image[{index}]: size {shape[0]}x{shape[1]} after resizing is not a multiple "
                f"of 64, which the feature pyramid needs; use IMAGE_RESIZE_MODE 'square' or "
                f"'pad64', or pass images whose sides are multiples of 64")

    def detect(self, images, verbose=0, batch_size=None) -> list:
        """Detect objects in images (see MaskRCNN.detect); batch_size defaults to BATCH_SIZE."""
        channels = self.config.IMAGE_CHANNEL_COUNT
        images = [normalize_image(image, i, channels)
                  for i, image in enumerate(as_image_list(images))]
        if verbose:
            print(f"Processing {len(images)} images")
        molded = [mold_inputs([image], self.config) for image in images]
        for i, (m, _, _) in enumerate(molded):
            self.check_molded_shape(m.shape[1:3], i)
        results = [None] * len(images)
        by_shape = {}
        for i, (m, _, _) in enumerate(molded):
            by_shape.setdefault(m.shape[1:], []).append(i)
        batch = batch_size or self.config.BATCH_SIZE
        for indices in by_shape.values():
            for start in range(0, len(indices), batch):
                chunk = indices[start:start + batch]
                detections, masks = self.predict_molded(
                    np.concatenate([molded[i][0] for i in chunk]),
                    np.concatenate([molded[i][1] for i in chunk]))
                for j, i in enumerate(chunk):
                    results[i] = unmold_detections(detections[j], masks[j], images[i].shape,
                                                   molded[i][0].shape[1:], molded[i][2][0])
                    if verbose:
                        print(f"image[{i}] shape {images[i].shape}: "
                              f"{len(results[i]['class_ids'])} detections")
        return results
