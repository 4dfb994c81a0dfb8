"""train(optimizer=...): matterport's SGD by default, Adam on request, a wrong name refused
before any work is done."""
from __future__ import annotations

import keras
import pytest

import mrcnn_tf
from mrcnn_tf.training.train import make_optimizer
from tests.helpers import shapes_dataset, tiny_backbone


def _config(**fields):
    return mrcnn_tf.Config(NAME="tiny", NUM_CLASSES=4, BACKBONE=tiny_backbone, IMAGE_MIN_DIM=64,
                           IMAGE_MAX_DIM=64, TOP_DOWN_PYRAMID_SIZE=16,
                           FPN_CLASSIF_FC_LAYERS_SIZE=32, **fields)


def test_sgd_follows_the_config():
    optimizer = make_optimizer(_config(LEARNING_MOMENTUM=0.8, GRADIENT_CLIP_NORM=3.0), 0.01)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.momentum == pytest.approx(0.8) and optimizer.clipnorm == 3.0
    assert float(optimizer.learning_rate) == pytest.approx(0.01)


def test_adam_clips_like_sgd():
    optimizer = make_optimizer(_config(GRADIENT_CLIP_NORM=3.0), 0.001, "adam")
    assert isinstance(optimizer, keras.optimizers.Adam) and optimizer.clipnorm == 3.0


def test_unknown_optimizer_is_refused_before_training(tmp_path):
    model = mrcnn_tf.MaskRCNN(mode="training", config=_config(), model_dir=tmp_path)
    dataset = shapes_dataset(2, 64, 64, seed=0)
    with pytest.raises(ValueError, match="optimizer='adamw': must be one of sgd, adam"):
        model.train(dataset, None, learning_rate=0.001, epochs=1, layers="all",
                    optimizer="adamw")
    assert not list(tmp_path.iterdir())  # no log folder, no checkpoint
