"""Thin Keras layers over the ops in ``mrcnn_tf.ops``; each stores its arguments for get_config."""
from mrcnn_tf.layers.batch_norm import FusedBatchNorm
from mrcnn_tf.layers.detection_layer import DetectionLayer
from mrcnn_tf.layers.proposal_layer import ProposalLayer
from mrcnn_tf.layers.roi_align_layer import PyramidROIAlign
from mrcnn_tf.layers.roi_axis import MergeRoiAxis, SplitRoiAxis
from mrcnn_tf.layers.torchvision_layers import (SelectClassMask, TorchvisionDetections,
                                                TorchvisionProposals, TorchvisionRoIAlign)
from mrcnn_tf.layers.window_conv import WindowConv2D

CUSTOM_OBJECTS = {cls.__name__: cls for cls in (
    FusedBatchNorm, DetectionLayer, ProposalLayer, PyramidROIAlign, MergeRoiAxis, SplitRoiAxis, WindowConv2D,
    SelectClassMask, TorchvisionDetections, TorchvisionProposals, TorchvisionRoIAlign)}

__all__ = ["CUSTOM_OBJECTS", "DetectionLayer", "FusedBatchNorm", "MergeRoiAxis", "ProposalLayer",
           "PyramidROIAlign", "SelectClassMask", "SplitRoiAxis", "TorchvisionDetections",
           "TorchvisionProposals", "TorchvisionRoIAlign", "WindowConv2D"]
