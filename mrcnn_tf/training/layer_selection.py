"""Which layers train: matterport's ``layers`` argument ("heads", "3+", "4+", "5+", "all" or a
regular expression matched in full against layer names)."""
from __future__ import annotations

import re

import keras

_HEADS = r"(mrcnn\_.*)|(rpn\_.*)|(fpn\_.*)"
LAYER_REGEX = {
    "heads": _HEADS,
    "3+": r"(res3.*)|(bn3.*)|(res4.*)|(bn4.*)|(res5.*)|(bn5.*)|" + _HEADS,
    "4+": r"(res4.*)|(bn4.*)|(res5.*)|(bn5.*)|" + _HEADS,
    "5+": r"(res5.*)|(bn5.*)|" + _HEADS,
    "all": ".*",
}


def layers_regex(layers: str) -> str:
    """The regular expression for a ``layers`` value (a preset name or a regex itself)."""
    regex = LAYER_REGEX.get(layers, layers)
    try:
        re.compile(regex)
    except (re.error, TypeError) as err:
        raise ValueError(f"layers={layers!r}: not one of {', '.join(LAYER_REGEX)} and not a "
                         f"regular expression ({err})") from None
    return regex


def layer_names(model, layers: str) -> list:
    """Names of the model's weighted top-level layers that ``layers`` selects, e.g. to start
    the heads afresh: ``load_weights(path, exclude=layer_names(model.keras_model, "heads"))``."""
    regex = layers_regex(layers)
    return [layer.name for layer in model.layers
            if layer.weights and re.fullmatch(regex, layer.name)]


def set_trainable(model, layers: str) -> list:
    """Make the weighted layers whose names match ``layers`` trainable and freeze the others;
    nested models (rpn_model) are entered. Returns the names of the trainable layers.
    Raises ValueError when nothing matches."""
    regex = layers_regex(layers)
    trainable = []

    def visit(container):
        for layer in container.layers:
            if isinstance(layer, keras.Model):
                visit(layer)
                layer.trainable = any(sub.trainable for sub in layer.layers if sub.weights)
                continue
            if not layer.weights:
                continue
            layer.trainable = bool(re.fullmatch(regex, layer.name))
            if layer.trainable:
                trainable.append(layer.name)

    visit(model)
    if not trainable:
        raise ValueError(f"layers={layers!r} matches no layer of the model")
    return trainable
