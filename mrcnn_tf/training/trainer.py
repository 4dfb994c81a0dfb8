"""TrainingStep: a Keras model wrapping the training network with a custom train_step.

``fit`` drives it (epochs, callbacks, TensorBoard, tf.distribute). Each step runs the network
on a batch from training.batches, computes the five losses (weighted by LOSS_WEIGHTS) plus
matterport's L2 weight decay of the trainable weights, and applies the optimizer (SGD with
momentum and per-tensor gradient clipping, set in training.train). Under a distribution
strategy each replica scales its loss by 1 / replicas so the summed gradients average.
"""
from __future__ import annotations

import keras
import tensorflow as tf

from mrcnn_tf.training import losses as L

NETWORK_INPUTS = ("input_image", "input_image_meta", "input_anchors", "input_gt_class_ids",
                  "input_gt_boxes", "input_gt_masks")


def compute_losses(batch, outputs) -> dict:
    """The five unweighted losses {name: float32 scalar} of a batch and the network outputs."""
    active_class_ids = batch["input_image_meta"][:, 12:]
    return {
        "rpn_class_loss": L.rpn_class_loss(batch["input_rpn_match"], outputs["rpn_class_logits"]),
        "rpn_bbox_loss": L.rpn_bbox_loss(batch["input_rpn_bbox"], batch["input_rpn_match"],
                                         outputs["rpn_bbox"]),
        "mrcnn_class_loss": L.mrcnn_class_loss(outputs["target_class_ids"],
                                               outputs["mrcnn_class_logits"], active_class_ids),
        "mrcnn_bbox_loss": L.mrcnn_bbox_loss(outputs["target_bbox"], outputs["target_class_ids"],
                                             outputs["mrcnn_bbox"]),
        "mrcnn_mask_loss": L.mrcnn_mask_loss(outputs["target_mask"], outputs["target_class_ids"],
                                             outputs["mrcnn_mask"]),
    }


class TrainingStep(keras.Model):
    """network: the model of modeling.matterport_training; anchors: float32 [A, 4] normalized
    anchors of the training image shape; loss_weights: {loss name: weight};
    weight_decay: L2 factor; train_bn: whether BatchNorm trains (config.TRAIN_BN, never for
    torchvision v1's FrozenBatchNorm); losses: (batch, outputs) -> {loss name: scalar}, the
    family's (compute_losses here, training.torchvision_losses.compute_losses).

    Keras 3 functional models pass the outer ``training`` flag to every layer, overriding the
    ``training=False`` the builders give BatchNorm; so unless train_bn is True the network is
    always called with training=False (BatchNorm then uses its moving statistics, and nothing
    else in the network depends on the flag)."""

    def __init__(self, network, anchors, *, loss_weights, weight_decay, train_bn=False,
                 losses=compute_losses, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.compute_losses = losses
        self.train_bn = bool(train_bn)
        self._anchors = tf.constant(anchors, tf.float32)
        self.loss_weights = {name: float(loss_weights.get(name, 1.0)) for name in L.LOSS_NAMES}
        self.weight_decay = float(weight_decay)
        names = ("loss",) + L.LOSS_NAMES + ("l2_loss",)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, batch, training=False):
        inputs = dict(batch)
        batch_size = tf.shape(inputs["input_image"])[0]
        inputs["input_anchors"] = tf.broadcast_to(
            self._anchors, tf.concat([[batch_size], tf.shape(self._anchors)], axis=0))
        return self.network([inputs[name] for name in NETWORK_INPUTS],
                            training=bool(training) and self.train_bn)

    def _total_loss(self, batch, training):
        outputs = self(batch, training=training)
        values = self.compute_losses(batch, outputs)
        values["l2_loss"] = L.weight_decay_loss(self.network.trainable_weights, self.weight_decay)
        total = values["l2_loss"] + tf.add_n(
            [self.loss_weights[name] * values[name] for name in L.LOSS_NAMES])
        return total, values

    def _report(self, total, values):
        self.trackers["loss"].update_state(total)
        for name, value in values.items():
            self.trackers[name].update_state(value)
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras reduces each log across the workers with strategy.reduce("MEAN", axis=0),
            # which needs an axis: one-element vectors, averaged into scalars
            results = {name: tf.reshape(value, [1]) for name, value in results.items()}
        return results

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras' TensorFlow trainer builds a distributed model symbolically from one batch
        # reduced across replicas (strategy.reduce); under MultiWorkerMirroredStrategy that
        # reduce cannot take a dict batch (and it would cost a batch). The network is built
        # already; only the optimizer's variables are missing: build them in the scope.
        strategy = self.distribute_strategy
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            with strategy.scope():
                if self.optimizer is not None and not self.optimizer.built:
                    self.optimizer.build(self.network.trainable_variables)
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def train_step(self, batch):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        variables = self.network.trainable_variables
        with tf.GradientTape() as tape:
            total, values = self._total_loss(batch, training=True)
            scaled = total / replicas
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))
        return self._report(total, values)

    def test_step(self, batch):
        total, values = self._total_loss(batch, training=False)
        return self._report(total, values)
