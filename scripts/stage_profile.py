"""Per-stage timing of one detect() call, for scripts/benchmark_detect.py.

Graph stages are timed as prefixes of the inference model (backbone+FPN, +RPN and proposals,
+classifier head, +detection, +mask head) and reported as differences of medians; host stages
(molding, unmolding) are timed directly. detect() itself is timed on the same image, so each
stage can be given as a share of the measured detect() time (what is left is the work
between the stages: input checks, batching, the graph call's own overhead).
"""
from __future__ import annotations

import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from mrcnn_tf.inference.postprocessing import unmold_detections
from mrcnn_tf.inference.preprocessing import mold_inputs
from mrcnn_tf.ops.anchors import anchors_for_image_shape

# stage name -> the layers whose outputs end it
GRAPH_STAGES = {
    "backbone+FPN": ["fpn_p2", "fpn_p3", "fpn_p4", "fpn_p5", "fpn_p6"],
    "RPN+proposals": ["ROI"],
    "classifier head": ["mrcnn_class", "mrcnn_bbox"],
    "detection": ["mrcnn_detection"],
    "mask head": ["mrcnn_detection", "mrcnn_mask_rois"],
}


def _median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def detect_time(model, image, repeats=3) -> float:
    """Median seconds of model.detect([image])."""
    return _median_time(lambda: model.detect([image]), repeats)


def stage_times(model, image, repeats=3) -> dict:
    """Median seconds per stage of detect() on one image: {stage: seconds}."""
    config, km = model.config, model.keras_model
    molded, metas, windows = mold_inputs([image], config)
    anchors = anchors_for_image_shape(molded.shape[1:3], config)[np.newaxis]
    inputs = [tf.constant(molded), tf.constant(metas, tf.float32), tf.constant(anchors)]
    times = {"preprocess": _median_time(lambda: mold_inputs([image], config), repeats)}
    previous = 0.0
    outputs = None
    for stage, layer_names in GRAPH_STAGES.items():
        prefix = keras.Model(km.inputs, [km.get_layer(n).output for n in layer_names])
        run = tf.function(lambda a, b, c, m=prefix: m([a, b, c], training=False))

        def call(run=run):
            return [o.numpy() for o in run(*inputs)]
        total = _median_time(call, repeats)
        times[stage] = max(total - previous, 0.0)
        previous = total
        outputs = call()
    detections, masks = outputs
    times["unmold (boxes, mask pasting)"] = _median_time(
        lambda: unmold_detections(detections[0], masks[0], image.shape, molded.shape[1:],
                                  windows[0], resize_library=config.RESIZE_LIBRARY), repeats)
    return times
