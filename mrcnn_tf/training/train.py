"""MaskRCNN.train: input pipelines, layer selection, optimizer and callbacks around Keras fit."""
from __future__ import annotations

import importlib.util
import logging
import os
import tempfile

import keras
import tensorflow as tf

from mrcnn_tf.training.checkpoints import SaveCheckpoint
from mrcnn_tf.training.strategy import is_chief
from mrcnn_tf.training.layer_selection import set_trainable
from mrcnn_tf.training.batches import training_dataset
from mrcnn_tf.training.trainer import TrainingStep

logger = logging.getLogger(__name__)


def _is_chief(strategy) -> bool:
    return is_chief(strategy)


def _check_datasets(train_dataset, val_dataset):
    for name, dataset in (("train_dataset", train_dataset), ("val_dataset", val_dataset)):
        if dataset is None:
            continue
        if not hasattr(dataset, "image_ids") or not hasattr(dataset, "source_class_ids"):
            raise ValueError(f"{name}: expected a prepared mrcnn_tf.data.Dataset, got "
                             f"{type(dataset).__name__}")
        if not len(dataset.image_ids):
            raise ValueError(f"{name}: the dataset has no images; did you call prepare()?")


def _tensorboard(log_dir) -> list:
    """A TensorBoard callback writing to log_dir, or none (with a warning) without tensorboard."""
    if importlib.util.find_spec("tensorboard") is None:
        logger.warning("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
        return []
    return [keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=0, write_graph=False)]


OPTIMIZERS = ("sgd", "adam")


def _check_optimizer(name):
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer={name!r}: must be one of {', '.join(OPTIMIZERS)}")


def make_optimizer(config, learning_rate, name="sgd"):
    """The optimizer, with per-tensor clipnorm GRADIENT_CLIP_NORM.

    "sgd" (matterport's): SGD with momentum LEARNING_MOMENTUM. "adam": Adam with Keras'
    defaults, which trains a network from scratch in far fewer steps (use a learning rate
    around 0.001). WEIGHT_DECAY is added to the loss as L2 either way.
    """
    _check_optimizer(name)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate,
                                     clipnorm=config.GRADIENT_CLIP_NORM)
    return keras.optimizers.SGD(learning_rate=learning_rate, momentum=config.LEARNING_MOMENTUM,
                                clipnorm=config.GRADIENT_CLIP_NORM)


def train_model(model, train_dataset, val_dataset, *, learning_rate, epochs, layers,
                augmentation=None, custom_callbacks=None, verbose=1, seed=None,
                optimizer="sgd"):
    """Train ``model`` (a MaskRCNN in training mode) from model.epoch up to ``epochs``; its
    ``family`` (families.ModelFamily) gives the anchors, losses, inputs and layer presets.

    Returns the Keras History. Writes a checkpoint per epoch to model.checkpoint_path and
    TensorBoard logs to model.log_dir; afterwards model.epoch is the last epoch completed
    (``epochs`` unless a callback stopped training early).
    """
    config, strategy, family = model.config, model.strategy, model.family
    _check_datasets(train_dataset, val_dataset)
    _check_optimizer(optimizer)  # before any work
    batch_size = config.IMAGES_PER_GPU * strategy.num_replicas_in_sync
    anchors, losses = family.training_anchors(config), family.training_losses()
    inputs = family.training_inputs(config)
    train_data = training_dataset(train_dataset, config, inputs, batch_size=batch_size,
                                  augmentation=augmentation, seed=seed)
    val_data = None
    if val_dataset is not None and config.VALIDATION_STEPS:
        val_data = training_dataset(val_dataset, config, inputs, batch_size=batch_size,
                                    seed=seed)

    trainable = set_trainable(model.keras_model, layers, family.layer_presets,
                              family.frozen(config))
    logger.info("training %d layers from epoch %d to %d, log dir %s", len(trainable),
                model.epoch, epochs, model.log_dir)
    with strategy.scope():
        step = TrainingStep(model.keras_model, anchors, loss_weights=config.LOSS_WEIGHTS,
                            weight_decay=config.WEIGHT_DECAY,
                            train_bn=family.trains_batch_norm(config),
                            losses=losses)
        step.built = True
        step.compile(optimizer=make_optimizer(config, learning_rate, optimizer),
                     jit_compile=False)

    chief = _is_chief(strategy)
    checkpoint = SaveCheckpoint(model.keras_model, model.checkpoint_path, is_chief=chief,
                                class_names=getattr(model, "class_names", None))
    # only the chief writes logs; the other workers' go to a throw-away folder
    log_dir = model.log_dir if chief else tempfile.mkdtemp(prefix="mrcnn_tf_worker_logs_")
    callbacks = [*_tensorboard(log_dir), checkpoint, keras.callbacks.TerminateOnNaN(),
                 *(custom_callbacks or [])]
    os.makedirs(log_dir, exist_ok=True)
    history = step.fit(train_data, initial_epoch=model.epoch, epochs=epochs,
                       steps_per_epoch=config.STEPS_PER_EPOCH, callbacks=callbacks,
                       validation_data=val_data,
                       validation_steps=config.VALIDATION_STEPS if val_data else None,
                       shuffle=False, verbose=verbose)
    if history.epoch:  # fewer than asked when a callback stopped training early
        model.epoch = max(model.epoch, history.epoch[-1] + 1)
    model.last_checkpoint = checkpoint.last_path
    return history


def choose_strategy(config, strategy=None):
    """The tf.distribute strategy for training: the one given, else MirroredStrategy over
    GPU_COUNT GPUs when GPU_COUNT > 1, else the default (one device)."""
    if strategy is not None:
        return strategy
    if config.GPU_COUNT > 1:
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) < config.GPU_COUNT:
            raise ValueError(f"Config.GPU_COUNT={config.GPU_COUNT} but TensorFlow sees "
                             f"{len(gpus)} GPU(s); set GPU_COUNT to at most {len(gpus)} or pass "
                             "a strategy")
        return tf.distribute.MirroredStrategy([g.name for g in gpus[:config.GPU_COUNT]])
    return tf.distribute.get_strategy()
