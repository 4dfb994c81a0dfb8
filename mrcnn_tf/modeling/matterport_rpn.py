"""Region Proposal Network head, shared over pyramid levels as the nested model ``rpn_model``."""
from __future__ import annotations

import keras
from keras import layers


def build_rpn_model(anchors_per_location, depth, anchor_stride=1):
    """The RPN head as a Keras model named ``rpn_model`` (its weights live in that HDF5 group).

    Input: a feature map [B, H, W, depth]. Outputs, with A = H * W * anchors_per_location
    anchors in anchor order (cell-major, then ratio): rpn_class_logits [B, A, 2],
    rpn_probs [B, A, 2] (softmax: background, foreground), rpn_bbox [B, A, 4] deltas.
    """
    feature_map = keras.Input(shape=(None, None, depth), name="input_rpn_feature_map")
    shared = layers.Conv2D(512, 3, padding="same", activation="relu", strides=anchor_stride,
                           name="rpn_conv_shared")(feature_map)
    x = layers.Conv2D(2 * anchors_per_location, 1, name="rpn_class_raw")(shared)
    logits = layers.Reshape((-1, 2))(x)
    probs = layers.Activation("softmax", dtype="float32", name="rpn_class_xxx")(logits)
    x = layers.Conv2D(4 * anchors_per_location, 1, name="rpn_bbox_pred")(shared)
    bbox = layers.Reshape((-1, 4))(x)
    return keras.Model(feature_map, [logits, probs, bbox], name="rpn_model")


def rpn_outputs(rpn_model, feature_maps):
    """Run the shared head on every level and concatenate: (logits, probs, bbox) over all anchors."""
    per_level = [rpn_model(p) for p in feature_maps]
    names = ("rpn_class_logits", "rpn_class", "rpn_bbox")
    return [layers.Concatenate(axis=1, name=name)([outs[i] for outs in per_level])
            for i, name in enumerate(names)]
