"""Checkpoint folders and names, as matterport: ``model_dir/<name><YYYYmmddTHHMM>/
mask_rcnn_<name>_<epoch:04d>.h5``, and finding the last one to resume from."""
from __future__ import annotations

import datetime
import os
import re

import keras

from mrcnn_tf.weights import hdf5

# .../<name><YYYYmmddTHHMM>/mask_rcnn_<name>_<epoch>.h5 (matterport's pattern)
CHECKPOINT_PATTERN = re.compile(
    r".*[/\\][\w-]+(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})[/\\]mask\_rcnn\_[\w-]+(\d{4})\.h5$")


def experiment_name(config) -> str:
    name = (config.NAME or "").lower()
    if not name:
        raise ValueError("Config.NAME is not set: training needs a name for its checkpoint "
                         "folder and files (e.g. NAME = \"shapes\")")
    return name


def log_dir_for(model_dir, config, model_path=None, now=None):
    """(log_dir, checkpoint path template with {epoch:04d}, starting epoch).

    With model_path a checkpoint written by training, its folder is reused and training
    continues after its epoch; otherwise a new folder stamped with ``now`` is used, epoch 0.
    """
    name = experiment_name(config)
    epoch = 0
    now = now or datetime.datetime.now()
    match = CHECKPOINT_PATTERN.match(os.fspath(model_path)) if model_path else None
    if match:
        year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
        now = datetime.datetime(year, month, day, hour, minute)
        epoch = int(match.group(6))  # the file's epoch is 1-based: continue with the next
    log_dir = os.path.join(os.fspath(model_dir), f"{name}{now:%Y%m%dT%H%M}")
    return log_dir, os.path.join(log_dir, f"mask_rcnn_{name}_{{epoch:04d}}.h5"), epoch


def find_last(model_dir, config) -> str:
    """Path of the newest checkpoint in the newest ``<name>*`` folder of model_dir.

    Raises FileNotFoundError when there is none.
    """
    name = experiment_name(config)
    model_dir = os.fspath(model_dir)
    folders = sorted(d for d in (os.listdir(model_dir) if os.path.isdir(model_dir) else [])
                     if d.startswith(name) and os.path.isdir(os.path.join(model_dir, d)))
    if not folders:
        raise FileNotFoundError(f"no {name!r} training folder in {model_dir!r}")
    folder = os.path.join(model_dir, folders[-1])
    checkpoints = sorted(f for f in os.listdir(folder)
                         if f.startswith("mask_rcnn") and f.endswith(".h5"))
    if not checkpoints:
        raise FileNotFoundError(f"no checkpoint (mask_rcnn_*.h5) in {folder!r}")
    return os.path.join(folder, checkpoints[-1])


class SaveCheckpoint(keras.callbacks.Callback):
    """After every epoch, write the network's weights in matterport's HDF5 layout to
    path_template.format(epoch=epoch + 1) (only on the chief worker), with class_names (the
    model's, index = class id) in the file when given."""

    def __init__(self, network, path_template, *, is_chief=True, class_names=None):
        super().__init__()
        self.network = network
        self.class_names = class_names
        self.path_template = path_template
        self.is_chief = is_chief
        self.last_path = None

    def on_epoch_end(self, epoch, logs=None):
        if not self.is_chief:
            return
        path = self.path_template.format(epoch=epoch + 1)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        hdf5.save_weights(self.network, path, class_names=self.class_names)
        self.last_path = path
