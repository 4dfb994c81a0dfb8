"""Compute precision of the model's layers (Config.COMPUTE_DTYPE).

Layers built inside ``dtype_policy("bfloat16")`` keep float32 variables and compute in
bfloat16 (Keras mixed precision). The model builders put only the convolution stacks
(backbone, FPN, RPN head) inside it; the package's own layers (proposals, ROIAlign,
detections, ROI folding) and the softmax layers are always float32, so box decoding, NMS and
score thresholds see float32 values whatever the policy.

``dtype_policy("bfloat16", low_precision_weights=True)`` (the matterport family's own
convolution stacks) stores the weights in bfloat16 too: the very values the mixed policy
would cast them to on every call, rounded once when they are loaded, so detections are the
same, the per-call casts (~7 % of a fast call's op time on an AMX Xeon) are gone and the
weights take half the memory. Their BatchNorm layers (layers.FusedBatchNorm) keep float32
statistics either way.
"""
from __future__ import annotations

import contextlib

import keras

POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
# compute dtype -> its policy with low_precision_weights (float16 is left mixed: unmeasured)
LOW_PRECISION_WEIGHT_POLICIES = {"bfloat16": "bfloat16"}


# CPU features with native bfloat16 arithmetic (lscpu / /proc/cpuinfo flag names)
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def choose_compute_dtype(cpu_flags, has_gpu: bool) -> tuple:
    """What COMPUTE_DTYPE "auto" means on a machine: (dtype, reason).

    float16 on a GPU; bfloat16 on a CPU with native bfloat16 (AMX or AVX512-BF16); float32
    elsewhere, where emulated bfloat16 is slower than float32.
    """
    if has_gpu:
        return "float16", "a GPU is present"
    native = [flag for flag in NATIVE_BF16_FLAGS if flag in set(cpu_flags)]
    if native:
        return "bfloat16", f"the CPU has native bfloat16 ({', '.join(native)})"
    return "float32", "the CPU has no native bfloat16 (no AMX or AVX512-BF16)"


def cpu_flags() -> set:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def resolve_compute_dtype(compute_dtype: str) -> tuple:
    """(dtype the layers use, reason): compute_dtype itself, or for "auto" this machine's
    choice (choose_compute_dtype)."""
    if compute_dtype != "auto":
        return compute_dtype, "set in the Config"
    import tensorflow as tf

    return choose_compute_dtype(cpu_flags(), bool(tf.config.list_physical_devices("GPU")))


@contextlib.contextmanager
def dtype_policy(compute_dtype: str, low_precision_weights: bool = False):
    """Build layers under the Keras dtype policy for compute_dtype ("auto" resolved for this
    machine), with weights stored in it too if low_precision_weights (see the module
    docstring); restores the old policy."""
    compute_dtype = resolve_compute_dtype(compute_dtype)[0]
    if compute_dtype not in POLICIES:
        raise ValueError(f"compute dtype {compute_dtype!r} is not one of {', '.join(POLICIES)}")
    policy = POLICIES[compute_dtype]
    if low_precision_weights:
        policy = LOW_PRECISION_WEIGHT_POLICIES.get(compute_dtype, policy)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
