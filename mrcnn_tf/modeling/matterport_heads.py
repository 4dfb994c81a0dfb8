"""Box classifier and mask heads (matterport's ``mrcnn_class_*``, ``mrcnn_bbox_fc``, ``mrcnn_mask_*``).

The ROI axis is folded into the batch axis around the head layers (see layers.roi_axis), which
computes what matterport's TimeDistributed wrappers compute.
Shape shorthand: B images, N ROIs, C classes.
"""
from __future__ import annotations

from keras import layers

from mrcnn_tf.layers import MergeRoiAxis, PyramidROIAlign, SplitRoiAxis, WindowConv2D
from mrcnn_tf.modeling.precision import dtype_policy
from mrcnn_tf.modeling.matterport_resnet import batch_norm


def _conv_bn_relu(x, filters, kernel, name, bn_name, train_bn, fold_bn, padding="valid",
                  conv=layers.Conv2D):
    x = conv(filters, kernel, padding=padding, name=name)(x)
    x = batch_norm(x, bn_name, name, train_bn, fold_bn)
    return layers.Activation("relu")(x)


def classifier_head(rois, feature_maps, image_meta, *, pool_size, num_classes, fc_size=1024,
                    train_bn=False, compute_dtype="float32", fold_bn=False):
    """Class probabilities and box deltas per ROI.

    rois: [B, N, 4] normalized; feature_maps: [P2, P3, P4, P5]; image_meta: [B, META_SIZE].
    compute_dtype: of the two "FC" convolutions and their BatchNorm; ROIAlign and the output
    layers stay float32. fold_bn: their BatchNorm folded into them (inference only).
    Returns (mrcnn_class_logits [B, N, C], mrcnn_class [B, N, C] softmax,
    mrcnn_bbox [B, N, C, 4] deltas (dy, dx, log(dh), log(dw)) before BBOX_STD_DEV), float32.
    """
    x = PyramidROIAlign(pool_size=pool_size, name="roi_align_classifier")([rois, image_meta] + feature_maps)
    x = MergeRoiAxis(name="classifier_merge_rois")(x)
    with dtype_policy(compute_dtype, low_precision_weights=True):
        x = _conv_bn_relu(x, fc_size, pool_size, "mrcnn_class_conv1", "mrcnn_class_bn1",
                          train_bn, fold_bn, conv=WindowConv2D)
        x = _conv_bn_relu(x, fc_size, 1, "mrcnn_class_conv2", "mrcnn_class_bn2", train_bn,
                          fold_bn, conv=WindowConv2D)
    shared = layers.Reshape((fc_size,), name="pool_squeeze")(x)
    logits = layers.Dense(num_classes, name="mrcnn_class_logits", dtype="float32")(shared)
    probs = layers.Activation("softmax", dtype="float32")(logits)
    bbox = layers.Dense(num_classes * 4, name="mrcnn_bbox_fc", dtype="float32")(shared)
    bbox = layers.Reshape((num_classes, 4))(bbox)
    split = SplitRoiAxis
    return (split(name="mrcnn_class_logits_rois")([logits, rois]),
            split(name="mrcnn_class")([probs, rois]),
            split(name="mrcnn_bbox")([bbox, rois]))


def mask_head(rois, feature_maps, image_meta, *, pool_size, num_classes, valid=None,
              train_bn=False, compute_dtype="float32", fold_bn=False):
    """Soft masks per ROI and class.

    rois: [B, N, 4] normalized. valid: optional bool [B, N]; rows that are not valid (padding)
    are not computed and come out as zeros. compute_dtype: of the four convolutions, their
    BatchNorm and the transposed convolution; ROIAlign and the sigmoid layer stay float32.
    fold_bn: the BatchNorm folded into the convolutions (inference only).
    Returns mrcnn_mask float32 [B, N, 2 * pool_size, 2 * pool_size, C], sigmoid probabilities
    relative to each ROI's box.
    """
    x = PyramidROIAlign(pool_size=pool_size, name="roi_align_mask")([rois, image_meta] + feature_maps)
    valid_inputs = [] if valid is None else [valid]
    x = MergeRoiAxis(name="mask_merge_rois")([x, *valid_inputs] if valid_inputs else x)
    with dtype_policy(compute_dtype, low_precision_weights=True):
        for i in range(1, 5):
            x = _conv_bn_relu(x, 256, 3, f"mrcnn_mask_conv{i}", f"mrcnn_mask_bn{i}", train_bn,
                              fold_bn, padding="same")
        x = layers.Conv2DTranspose(256, 2, strides=2, activation="relu",
                                   name="mrcnn_mask_deconv")(x)
    x = layers.Conv2D(num_classes, 1, activation="sigmoid", name="mrcnn_mask",
                      dtype="float32")(x)
    return SplitRoiAxis(name="mrcnn_mask_rois")([x, rois] + valid_inputs)
