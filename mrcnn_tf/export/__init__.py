"""Export for TensorFlow Serving: a SavedModel with in-graph preprocessing, and the way back.

    from mrcnn_tf.export import export_saved_model, results_from_serving
    export_saved_model(model, "exported/mask_rcnn", version=1)        # -> exported/mask_rcnn/1
    results = results_from_serving(outputs, [image.shape for image in images])

The contract (signature, input and output names) is in ``export.names`` and described in
``export.saved_model``. Importing this package does not import TensorFlow; the functions do.
"""
from mrcnn_tf.lazy import lazy_attributes

_LAZY = {
    "export_saved_model": "mrcnn_tf.export.saved_model",
    "results_from_serving": "mrcnn_tf.export.serving_results",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
