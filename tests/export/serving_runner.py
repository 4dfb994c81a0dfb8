"""Run in a fresh Python process: load SavedModels with tf.saved_model.load, call signatures.

    python serving_runner.py JOB.json

JOB: {"calls": [{"model": DIR, "signature": NAME, "input": NAME, "data": PATH, "out": PATH}
or {"model": DIR, "attribute": NAME, "out": PATH}]}. ``data`` is an .npy file: a uint8 image
batch, or an object array of encoded images (bytes). Each call's outputs go to ``out`` (.npz;
strings as unicode; an attribute, a variable of the loaded object, as "value"); a call that
raises writes {"error": message} instead. Nothing of mrcnn_tf is imported: the SavedModel
must stand alone.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def as_numpy(tensor):
    value = tensor.numpy()
    return value.astype(str) if value.dtype == object else value


def main(job_path):
    with open(job_path) as f:
        job = json.load(f)
    loaded = {}
    for call in job["calls"]:
        if "mrcnn_tf" in sys.modules:
            raise RuntimeError("mrcnn_tf was imported")
        if call["model"] not in loaded:
            loaded[call["model"]] = tf.saved_model.load(call["model"])
        model = loaded[call["model"]]
        if "attribute" in call:
            np.savez(call["out"], value=as_numpy(getattr(model, call["attribute"])))
            continue
        data = np.load(call["data"], allow_pickle=True)
        if data.dtype == object:  # encoded images; a bytes dtype would drop trailing NULs
            data = list(data)
        try:
            outputs = model.signatures[call["signature"]](**{call["input"]: tf.constant(data)})
            np.savez(call["out"], **{k: as_numpy(v) for k, v in outputs.items()})
        except Exception as err:  # reported to the test, which decides
            np.savez(call["out"], error=np.array(f"{type(err).__name__}: {err}"))


if __name__ == "__main__":
    main(sys.argv[1])
