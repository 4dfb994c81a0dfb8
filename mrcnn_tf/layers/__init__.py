"""Thin Keras layers over the ops in ``mrcnn_tf.ops``; each stores its arguments for get_config.

``CUSTOM_OBJECTS`` maps the name of every layer registered here to its class (for
``keras.models.load_model(..., custom_objects=CUSTOM_OBJECTS)``; the layers are also
registered under the package "mrcnn_tf")."""
from mrcnn_tf.layers.batch_norm import FusedBatchNorm
from mrcnn_tf.layers.detection_layer import DetectionLayer
from mrcnn_tf.layers.detection_target_layer import DetectionTargetLayer
from mrcnn_tf.layers.portable_layers import (PortableDetectionLayer, PortableMergeRoiAxis,
                                             PortableProposalLayer, PortablePyramidROIAlign,
                                             PortableSelectClassMask, PortableSplitRoiAxis,
                                             PortableTorchvisionDetections,
                                             PortableTorchvisionProposals,
                                             PortableTorchvisionRoIAlign)
from mrcnn_tf.layers.proposal_layer import ProposalLayer
from mrcnn_tf.layers.roi_align_layer import PyramidROIAlign
from mrcnn_tf.layers.roi_axis import MergeRoiAxis, SplitRoiAxis
from mrcnn_tf.layers.torchvision_layers import (SelectClassMask, TorchvisionDetections,
                                                TorchvisionProposals, TorchvisionRoIAlign)
from mrcnn_tf.layers.torchvision_targets import TorchvisionDetectionTargets
from mrcnn_tf.layers.window_conv import WindowConv2D

CUSTOM_OBJECTS = {cls.__name__: cls for cls in (
    FusedBatchNorm, DetectionLayer, DetectionTargetLayer, ProposalLayer, PyramidROIAlign,
    MergeRoiAxis, SplitRoiAxis, WindowConv2D, SelectClassMask, TorchvisionDetections,
    TorchvisionProposals, TorchvisionRoIAlign, TorchvisionDetectionTargets,
    # the portable graph's (export.portable)
    PortableProposalLayer, PortablePyramidROIAlign, PortableDetectionLayer,
    PortableMergeRoiAxis, PortableSplitRoiAxis, PortableTorchvisionProposals,
    PortableTorchvisionRoIAlign, PortableTorchvisionDetections, PortableSelectClassMask)}

__all__ = ["CUSTOM_OBJECTS", "DetectionLayer", "DetectionTargetLayer", "FusedBatchNorm",
           "MergeRoiAxis", "ProposalLayer", "PyramidROIAlign", "SelectClassMask", "SplitRoiAxis",
           "TorchvisionDetectionTargets", "TorchvisionDetections", "TorchvisionProposals",
           "TorchvisionRoIAlign", "WindowConv2D"]
