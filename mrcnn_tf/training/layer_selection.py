"""Which layers train: matterport's ``layers`` argument ("heads", "3+", "4+", "5+", "all" or a
regular expression matched in full against layer names), for each model family's names.

matterport's ResNet stages res2-res5 are torchvision's ``backbone.body.layer1``-``layer4``, so
"3+" trains layer2 and up (torchvision's default trainable_backbone_layers=3), and the heads are
the FPN, the RPN and the ROI heads. torchvision v1's FrozenBatchNorm2d never trains, whatever
``layers`` says (the family's ``frozen``); v2's BatchNorm trains as any layer (and updates its statistics only
with TRAIN_BN, see training.trainer).
"""
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
_TV_HEADS = r"(backbone\.fpn\..*)|(rpn\..*)|(roi\_heads\..*)"
TORCHVISION_LAYER_REGEX = {
    "heads": _TV_HEADS,
    "3+": r"(backbone\.body\.layer[234]\..*)|" + _TV_HEADS,
    "4+": r"(backbone\.body\.layer[34]\..*)|" + _TV_HEADS,
    "5+": r"(backbone\.body\.layer4\..*)|" + _TV_HEADS,
    "all": ".*",
}


def layers_regex(layers: str, presets: dict = LAYER_REGEX) -> str:
    """The regular expression for a ``layers`` value (a name in presets, the family's
    ``layer_presets``, or a regex itself)."""
    regex = presets.get(layers, layers)
    try:
        re.compile(regex)
    except (re.error, TypeError) as err:
        raise ValueError(f"layers={layers!r}: not one of {', '.join(presets)} and not a "
                         f"regular expression ({err})") from None
    return regex


def layer_names(model, layers: str, presets: dict = LAYER_REGEX) -> list:
    """Names of the model's weighted top-level layers that ``layers`` selects, e.g. to start
    the heads afresh: ``load_weights(path, exclude=layer_names(model.keras_model, "heads"))``."""
    regex = layers_regex(layers, presets)
    return [layer.name for layer in model.layers
            if layer.weights and re.fullmatch(regex, layer.name)]


def set_trainable(model, layers: str, presets: dict = LAYER_REGEX, frozen=None) -> list:
    """Make the weighted layers whose names match ``layers`` (a name in presets, or a regex)
    trainable and freeze the others, and the layers matching the regex ``frozen`` always (the
    family's ``frozen(config)``); nested models (rpn_model) are entered. Returns the names of
    the trainable layers. Raises ValueError when nothing matches."""
    regex = layers_regex(layers, presets)
    trainable = []

    def visit(container):
        for layer in container.layers:
            if isinstance(layer, keras.Model):
                visit(layer)
                layer.trainable = any(sub.trainable for sub in layer.layers if sub.weights)
                continue
            if not layer.weights:
                continue
            layer.trainable = bool(re.fullmatch(regex, layer.name)) and not (
                frozen and re.fullmatch(frozen, layer.name))
            if layer.trainable:
                trainable.append(layer.name)

    visit(model)
    if not trainable:
        raise ValueError(f"layers={layers!r} matches no layer of the model")
    return trainable
