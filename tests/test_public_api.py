"""Public names: importable where the docs say, imported lazily (no TensorFlow to import the
package or to use its numpy geometry)."""
from __future__ import annotations

import subprocess
import sys

import pytest


def test_top_level_geometry_and_evaluation_names_without_tensorflow():
    code = ("import sys, numpy as np, mrcnn_tf\n"
            "from mrcnn_tf.evaluation import evaluate_coco, compare_detections\n"
            "from mrcnn_tf.evaluation.coco import evaluate_coco as same\n"
            "assert evaluate_coco is same\n"
            "m = np.zeros((3, 3), bool); m[:2, :2] = True\n"
            "print(mrcnn_tf.iou((0, 0, 2, 2), (1, 1, 3, 3)), mrcnn_tf.mask_iou(m, m),\n"
            "      'tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second, tf_loaded = done.stdout.split()
    assert float(first) == pytest.approx(1 / 7) and float(second) == 1.0
    assert tf_loaded == "False"


def test_unknown_names_raise_attribute_error():
    import mrcnn_tf
    import mrcnn_tf.evaluation

    for module in (mrcnn_tf, mrcnn_tf.evaluation):
        with pytest.raises(AttributeError, match="has no attribute 'nope'"):
            module.nope  # noqa: B018
    assert {"MaskRCNN", "iou", "mask_iou"} <= set(dir(mrcnn_tf))
