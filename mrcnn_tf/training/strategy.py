"""The tf.distribute strategy of a training run, by name, and who is the chief.

    "default"      one device, unless TF_CONFIG is set: then "multiworker"
    "mirrored"     MirroredStrategy over the local GPUs (one CPU device without a GPU)
    "multiworker"  MultiWorkerMirroredStrategy: the cluster and this task from TF_CONFIG
    "tpu"          TPUStrategy over the TPU that TPUClusterResolver finds (not tested here)

A MultiWorkerMirroredStrategy must be made before TensorFlow runs anything else in the
process, so the command line makes the strategy before it builds a model.
"""
from __future__ import annotations

import json
import os

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def cluster_from_environment(environ=None) -> dict | None:
    """The parsed TF_CONFIG (``{"cluster": ..., "task": {"type", "index"}}``) or None when it
    is unset. Raises ValueError when it is not JSON with a cluster and a task."""
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"TF_CONFIG is not JSON ({err})") from None
    if not isinstance(value, dict) or "cluster" not in value or "task" not in value:
        raise ValueError("TF_CONFIG needs a 'cluster' and a 'task' "
                         "(e.g. {\"cluster\": {\"worker\": [\"host1:2222\", \"host2:2222\"]}, "
                         "\"task\": {\"type\": \"worker\", \"index\": 0}})")
    return value


def resolved_name(name="default", environ=None) -> str:
    """The strategy a name stands for: "default" is "multiworker" when TF_CONFIG is set."""
    if name not in STRATEGIES:
        raise ValueError(f"strategy {name!r}: expected one of {', '.join(STRATEGIES)}")
    if name == "default" and cluster_from_environment(environ) is not None:
        return "multiworker"
    return name


def make_strategy(name="default", environ=None):
    """The tf.distribute strategy for ``name`` (see the module docstring)."""
    import tensorflow as tf

    name = resolved_name(name, environ)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as err:
            raise ValueError(f"--strategy tpu: no TPU found ({err})") from None
        return tf.distribute.TPUStrategy(resolver)
    return tf.distribute.get_strategy()


def task_of(strategy) -> tuple:
    """(task type, task id) of this process in the cluster, (None, 0) without one."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return None, 0
    return resolver.task_type, int(resolver.task_id or 0)


def is_chief(strategy) -> bool:
    """True for the process that writes checkpoints and logs: the "chief" task when the
    cluster has one, else worker 0; always True without a cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    has_chief = "chief" in (resolver.cluster_spec().as_dict() or {})
    if has_chief:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0
