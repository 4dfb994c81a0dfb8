"""The backbone choice: matterport's ResNets by name, or a callable of the user's.

As in matterport, ``Config.BACKBONE`` is "resnet50", "resnet101" or a callable. A callable
is called as ``backbone(image, train_bn=...)`` with the KerasTensor float32 [B, H, W, 3]
(mean-subtracted pixels) and must return [C2, C3, C4, C5] at ``BACKBONE_STRIDES[:4]``
(4, 8, 16, 32 by default); its layers may have any names except matterport's head names.
``train_bn`` is False (BatchNorm in inference mode) or None (follow the training flag).
For train(layers=...), "heads" and "all" work with any backbone; "3+", "4+" and "5+" name
ResNet layers and select none of a callable's.
"""
from __future__ import annotations

from mrcnn_tf.modeling.matterport_resnet import resnet_features


def backbone_features(image, backbone, *, train_bn=False, fold_bn=False):
    """[C2, C3, C4, C5] of ``backbone`` (a ResNet name or a callable, see module docstring).
    fold_bn: a ResNet's BatchNorm folded into its convolutions (a callable's is left as is)."""
    if not callable(backbone):
        return resnet_features(image, backbone, train_bn=train_bn, fold_bn=fold_bn)
    c_maps = backbone(image, train_bn=train_bn)
    if not isinstance(c_maps, (list, tuple)) or len(c_maps) != 4:
        raise ValueError(f"Config.BACKBONE callable {getattr(backbone, '__name__', backbone)!r} "
                         "must return four feature maps [C2, C3, C4, C5]")
    return list(c_maps)
