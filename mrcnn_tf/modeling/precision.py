"""Compute precision of the model's layers (Config.COMPUTE_DTYPE).

Layers built inside ``dtype_policy("bfloat16")`` keep float32 variables and compute in
bfloat16 (Keras mixed precision). The model builders put only the convolution stacks
(backbone, FPN, RPN head) inside it; the package's own layers (proposals, ROIAlign,
detections, ROI folding) and the softmax layers are always float32, so box decoding, NMS and
score thresholds see float32 values whatever the policy.
"""
from __future__ import annotations

import contextlib

import keras

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


@contextlib.contextmanager
def dtype_policy(compute_dtype: str):
    """Build layers under the Keras dtype policy for compute_dtype; restores the old one."""
    if compute_dtype not in POLICIES:
        raise ValueError(f"compute dtype {compute_dtype!r} is not one of {', '.join(POLICIES)}")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[compute_dtype])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
