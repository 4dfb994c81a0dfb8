"""torchvision's RPN head, box heads (v1 TwoMLPHead, v2 FastRCNNConvFCHead), box predictor and
mask head, with the state-dict module paths as layer names.

Shape shorthand: B images, N ROIs per image, A anchors per location, C classes (91 for COCO).
The ROI axis is folded into the batch axis around the per-ROI layers (layers.roi_axis).
PyTorch flattens a [C, 7, 7] ROI feature channel-first, so the box heads permute [7, 7, C] to
[C, 7, 7] before flattening and the fully connected weights load as they are (transposed).
The class-specific layers (CLASS_SPECIFIC_LAYERS) start as torchvision initializes them, for
fine-tuning on other classes: cls_score normal(0, 0.01), bbox_pred normal(0, 0.001),
mask_fcn_logits He normal over fan-out, zero biases.
"""
from __future__ import annotations

from keras import initializers, layers

from mrcnn_tf.layers import MergeRoiAxis, SplitRoiAxis
from mrcnn_tf.modeling.torchvision_resnet import BN_EPSILON


# the layers whose shapes depend on NUM_CLASSES (torchvision's box and mask predictors)
CLASS_SPECIFIC_LAYERS = ("roi_heads.box_predictor.cls_score", "roi_heads.box_predictor.bbox_pred",
                         "roi_heads.mask_predictor.mask_fcn_logits")


def _flatten_channels_first(x):
    return layers.Flatten()(layers.Permute((3, 1, 2))(x))


def rpn_head(feature_maps, anchors_per_location, *, conv_depth=1, prefix="rpn.head"):
    """The RPN head shared over the levels (one set of layers called on each map).

    v1 has one 3x3 convolution + ReLU (conv_depth=1), v2 two. Returns (logits, deltas): lists
    per level of [B, Hl * Wl * A] objectness logits and [B, Hl * Wl * A, 4] deltas
    (dx, dy, dw, dh), anchors ordered by cell then ratio.
    """
    convs = [layers.Conv2D(feature_maps[0].shape[-1], 3, padding="same", activation="relu",
                           name=f"{prefix}.conv.{i}.0") for i in range(conv_depth)]
    cls_logits = layers.Conv2D(anchors_per_location, 1, name=f"{prefix}.cls_logits")
    bbox_pred = layers.Conv2D(4 * anchors_per_location, 1, name=f"{prefix}.bbox_pred")
    logits, deltas = [], []
    for feature_map in feature_maps:
        x = feature_map
        for conv in convs:
            x = conv(x)
        logits.append(layers.Reshape((-1,), dtype="float32")(cls_logits(x)))
        deltas.append(layers.Reshape((-1, 4), dtype="float32")(bbox_pred(x)))
    return logits, deltas


def _conv_bn_relu(x, filters, name, bn_name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=bn_name)(x, training=False)
    return layers.ReLU()(x)


def box_head(pooled, rois, valid, *, version, num_classes, fc_size=1024,
             prefix="roi_heads"):
    """Class logits and per-class deltas per ROI.

    pooled: [B, N, 7, 7, 256] ROI features; rois: [B, N, 4]; valid: bool [B, N] (others come
    out as zeros). v1: flatten, fc6, fc7 (ReLU each); v2: four 3x3 conv + BN + ReLU, flatten,
    one fully connected + ReLU. Returns (class_logits [B, N, C], box_deltas [B, N, C * 4]).
    """
    x = MergeRoiAxis(name="box_merge_rois")([pooled, valid])
    if version == "v1":
        x = _flatten_channels_first(x)
        x = layers.Dense(fc_size, activation="relu", name=f"{prefix}.box_head.fc6")(x)
        x = layers.Dense(fc_size, activation="relu", name=f"{prefix}.box_head.fc7")(x)
    else:
        for i in range(4):
            x = _conv_bn_relu(x, 256, f"{prefix}.box_head.{i}.0", f"{prefix}.box_head.{i}.1")
        x = _flatten_channels_first(x)
        x = layers.Dense(fc_size, activation="relu", name=f"{prefix}.box_head.5")(x)
    logits = layers.Dense(num_classes, kernel_initializer=initializers.RandomNormal(0.0, 0.01),
                          name=f"{prefix}.box_predictor.cls_score")(x)
    deltas = layers.Dense(4 * num_classes,
                          kernel_initializer=initializers.RandomNormal(0.0, 0.001),
                          name=f"{prefix}.box_predictor.bbox_pred")(x)
    return (SplitRoiAxis(name="box_class_logits")([logits, rois, valid]),
            SplitRoiAxis(name="box_deltas")([deltas, rois, valid]))


def mask_head(pooled, rois, valid, *, version, num_classes, prefix="roi_heads"):
    """Mask logits' sigmoid per ROI and class: [B, N, 28, 28, C] from pooled [B, N, 14, 14, 256].

    Four 3x3 convolutions + ReLU (v1 with bias; v2 without, with BN), a 2x2 stride-2
    transposed convolution + ReLU, a 1x1 convolution to C logits, sigmoid. Rows not valid
    are not computed and come out as zeros.
    """
    x = MergeRoiAxis(name="mask_merge_rois")([pooled, valid])
    for i in range(4):
        name = f"{prefix}.mask_head.{i}"
        if version == "v1":
            x = layers.Conv2D(256, 3, padding="same", activation="relu", name=f"{name}.0")(x)
        else:
            x = _conv_bn_relu(x, 256, f"{name}.0", f"{name}.1")
    x = layers.Conv2DTranspose(256, 2, strides=2, activation="relu",
                               name=f"{prefix}.mask_predictor.conv5_mask")(x)
    x = layers.Conv2D(num_classes, 1, activation="sigmoid",
                      kernel_initializer=initializers.VarianceScaling(
                          2.0, mode="fan_out", distribution="untruncated_normal"),
                      name=f"{prefix}.mask_predictor.mask_fcn_logits")(x)
    return SplitRoiAxis(name="mask_probs")([x, rois, valid])
