"""detect(): images in, matterport result dicts out, through one compiled graph.

The Keras model runs inside a ``tf.function`` with a fixed input signature (batch, height and
width unknown), so images of different sizes and batches of any size reuse one graph.
Molding and unmolding are the model family's (inference.transforms), so every family gives the
same result dicts.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from mrcnn_tf.inference.images import as_image_list, normalize_image
from mrcnn_tf.inference.transforms import output_positions

class Detector:
    """Runs an inference model (modeling.matterport_rcnn or modeling.torchvision_rcnn) on numpy
    images; transform: its family's (families.ModelFamily.transform, inference.transforms)."""

    def __init__(self, keras_model, config, transform):
        self.keras_model = keras_model
        self.config = config
        self.transform = transform
        self._predict = self._compiled(self._forward)
        self._predict_boxes = None  # built on first detect(..., masks=False)

    def _compiled(self, function):
        """function as a tf.function with the fixed input signature (images, metas, anchors)."""
        return tf.function(
            function, reduce_retracing=False,
            input_signature=[
                tf.TensorSpec([None, None, None, self.config.IMAGE_CHANNEL_COUNT], tf.float32),
                tf.TensorSpec([None, self.config.IMAGE_META_SIZE], tf.float32),
                tf.TensorSpec([None, None, 4], tf.float32)])

    def _forward(self, images, metas, anchors):
        outputs = self.keras_model([images, metas, anchors], training=False)
        detections, masks = output_positions(self.keras_model, self.transform)
        return outputs[detections], outputs[masks]

    def _boxes_graph(self):
        """The compiled graph up to the detections: a keras.Model from the same inputs to the
        detections output shares the layers and weights and leaves the mask head out."""
        if self._predict_boxes is None:
            import keras

            model = self.keras_model
            boxes_model = keras.Model(model.inputs,
                                      model.outputs[output_positions(model, self.transform)[0]],
                                      name=f"{model.name}_boxes")
            self._predict_boxes = self._compiled(
                lambda images, metas, anchors: boxes_model([images, metas, anchors],
                                                           training=False))
        return self._predict_boxes

    def predict_molded(self, molded, metas, masks=True):
        """Run the graph on molded images of one shape: float32 [B, H, W, 3], metas [B, M].

        Returns numpy (detections [B, D, 6], masks: [B, D, 28, 28, C] for matterport's family,
        [B, D, 28, 28] for torchvision's; None with masks=False, which skips the mask head).
        """
        anchors = self.transform.anchors(molded.shape[1:3])
        anchors = np.broadcast_to(anchors, (len(molded),) + anchors.shape)
        inputs = (tf.constant(molded, tf.float32), tf.constant(metas, tf.float32),
                  tf.constant(anchors, tf.float32))
        if not masks:
            return self._boxes_graph()(*inputs).numpy(), None
        detections, mask_output = self._predict(*inputs)
        return detections.numpy(), mask_output.numpy()

    def check_molded_shape(self, shape, index):
        self.transform.check_molded_shape(shape, index)

    def detect(self, images, verbose=0, batch_size=None, masks=True) -> list:
        """Detect objects in images (see MaskRCNN.detect); batch_size defaults to BATCH_SIZE;
        masks=False skips the mask head and gives results without ``masks``."""
        channels = self.config.IMAGE_CHANNEL_COUNT
        images = [normalize_image(image, i, channels)
                  for i, image in enumerate(as_image_list(images))]
        if verbose:
            print(f"Processing {len(images)} images")
        molded = [self.transform.mold(image) for image in images]
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
                detections, mask_output = self.predict_molded(
                    np.concatenate([molded[i][0] for i in chunk]),
                    np.concatenate([molded[i][1] for i in chunk]), masks=masks)
                for j, i in enumerate(chunk):
                    results[i] = self.transform.unmold(detections[j],
                                                       None if mask_output is None
                                                       else mask_output[j],
                                                       images[i].shape, molded[i][0].shape[1:],
                                                       molded[i][2])
                    if verbose:
                        print(f"image[{i}] shape {images[i].shape}: "
                              f"{len(results[i]['class_ids'])} detections")
        return results
