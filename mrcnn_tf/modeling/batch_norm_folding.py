"""Config.FOLD_BATCH_NORM: every BatchNorm that follows a convolution folded into it.

``mark_folded(model)`` (at build time, before the model is first called) finds each
FusedBatchNorm whose input is the output of a Conv2D used by nothing else and names that
convolution in its ``folded_into``, which makes the BatchNorm pass its input through.
``fold_assignments`` (at load time, weights.hdf5) then gives those convolutions the folded
kernel and bias (ops.batch_norm_folding) computed from the file's own values, so loading the
same file twice, or another file, is always right. The BatchNorm layers keep the file's
values. Inference only: such a model cannot be trained or saved back to matterport's layout.
"""
from __future__ import annotations

import keras

from mrcnn_tf.layers import FusedBatchNorm
from mrcnn_tf.ops.batch_norm_folding import fold_batch_norm


def _inputs_of(layer) -> list:
    return [] if isinstance(layer, keras.layers.InputLayer) else keras.tree.flatten(layer.input)


def conv_batch_norm_pairs(model) -> list:
    """(conv, batch_norm) layer pairs of a functional model where the BatchNorm is the only
    consumer of a plain Conv2D's output (no activation; transposed convolutions excluded)."""
    convs = {id(layer.output): layer for layer in model.layers
             if isinstance(layer, keras.layers.Conv2D)
             and layer.activation is keras.activations.linear}
    consumers = {}
    for layer in model.layers:
        for tensor in _inputs_of(layer):
            consumers[id(tensor)] = consumers.get(id(tensor), 0) + 1
    return [(convs[id(layer.input)], layer) for layer in model.layers
            if isinstance(layer, FusedBatchNorm) and id(layer.input) in convs
            and consumers[id(layer.input)] == 1]


def mark_folded(model) -> int:
    """Mark every foldable BatchNorm of the model (see module docstring); returns how many."""
    pairs = conv_batch_norm_pairs(model)
    for conv, batch_norm in pairs:
        batch_norm.folded_into = conv.name
    return len(pairs)


def is_folded(model) -> bool:
    return any(getattr(layer, "folded_into", None) for layer in model.layers)


def fold_assignments(model, assignments) -> list:
    """The (variable, value) list a weights loader is about to assign, with the kernel and
    bias of every folded convolution replaced by their folded values.

    A convolution and its BatchNorm must come from the file together (ValueError otherwise).
    """
    values = {id(var): value for var, value in assignments}
    folded = {}
    for batch_norm in model.layers:
        if not getattr(batch_norm, "folded_into", None):
            continue
        conv = model.get_layer(batch_norm.folded_into)
        conv_vars = [conv.kernel, conv.bias]
        bn_vars = [batch_norm.gamma, batch_norm.beta, batch_norm.moving_mean,
                   batch_norm.moving_variance]
        present = [id(v) in values for v in conv_vars + bn_vars]
        if not any(present):
            continue
        if not all(present):
            raise ValueError(f"Config.FOLD_BATCH_NORM: layers {conv.name!r} and "
                             f"{batch_norm.name!r} must be loaded together (the BatchNorm is "
                             "folded into the convolution); load all of them or build the model "
                             "without FOLD_BATCH_NORM")
        kernel, bias = fold_batch_norm(*(values[id(v)] for v in conv_vars + bn_vars),
                                       batch_norm.epsilon)
        folded[id(conv.kernel)], folded[id(conv.bias)] = kernel, bias
    return [(var, folded.get(id(var), value)) for var, value in assignments]
