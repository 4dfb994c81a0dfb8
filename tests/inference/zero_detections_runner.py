"""Run in a fresh Python process (so TF_ENABLE_ONEDNN_OPTS can be chosen): every model path on
images with zero detections, alone and in batches beside images with detections.

    python zero_detections_runner.py WEIGHTS.h5 OUT_DIR

Writes OUT_DIR/report.json: for each path, the detection count of every image (or the error
it raised). The test (test_zero_detections.py) decides what is right.
"""
import json
import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

import mrcnn_tf  # noqa: E402
from tests.helpers import skimage_image, tiny_backbone  # noqa: E402

# With the r50 parity weights at 256 px, a flat grey image (the mean pixel, ~0 after molding)
# scores at most ~0.21 and the astronaut several detections above 0.5: 0.4 sits well between.
CONFIG = dict(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=256,
              DETECTION_MIN_CONFIDENCE=0.4)
BLANK = np.full((512, 512, 3), 128, np.uint8)


def counts(results):
    return [int(len(r["class_ids"])) for r in results]


def shapes_ok(results, images):
    return all(r["masks"].shape == image.shape[:2] + (len(r["class_ids"]),)
               and r["rois"].shape == (len(r["class_ids"]), 4)
               for r, image in zip(results, images))


def attempt(report, name, function):
    try:
        report[name] = function()
    except Exception as err:  # the test reports it
        report[name] = {"error": f"{type(err).__name__}: {err}"[:2000],
                        "traceback": traceback.format_exc()[-3000:]}


def detect_paths(model, images):
    """detect() on blank images alone and in batches of 1, 2 and 3 with images that detect."""
    out = {}
    for batch in (1, 2, 3):
        results = model.detect(images, batch_size=batch)
        out[f"batch{batch}"] = {"counts": counts(results), "shapes_ok": shapes_ok(results, images)}
    out["blank_alone"] = counts(model.detect([BLANK, BLANK], batch_size=2))
    return out


def keras_reload(model, out_dir):
    """The .keras file loaded in safe mode and called eagerly, as a user of keras.models does."""
    import keras

    import mrcnn_tf.layers  # noqa: F401  (registers the layers)
    from mrcnn_tf.inference.preprocessing import mold_inputs
    from mrcnn_tf.ops.anchors import anchors_for_image_shape

    path = out_dir / "model.keras"
    model.keras_model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    out = {}
    for name, images in (("blank", [BLANK]), ("blank_and_other",
                                              [BLANK, skimage_image("astronaut")])):
        molded, metas, _ = mold_inputs(images, model.config)
        anchors = np.broadcast_to(anchors_for_image_shape(molded.shape[1:3], model.config),
                                  (len(images),) + anchors_for_image_shape(
                                      molded.shape[1:3], model.config).shape)
        detections = np.asarray(reloaded([molded, metas, anchors], training=False)[0])
        out[name] = [int((d[:, 4] > 0).sum()) for d in detections]
    return out


def saved_model(model, out_dir):
    """Both serving signatures of the exported SavedModel."""
    import cv2
    import tensorflow as tf

    from mrcnn_tf.export import export_saved_model

    version_dir = export_saved_model(model, out_dir / "exported")
    loaded = tf.saved_model.load(version_dir)
    ok, png = cv2.imencode(".png", BLANK)
    other = skimage_image("astronaut")  # 512x512, as BLANK
    ok2, other_png = cv2.imencode(".png", cv2.cvtColor(other, cv2.COLOR_RGB2BGR))
    assert ok and ok2
    by_bytes = loaded.signatures["serving_default"](
        image_bytes=tf.constant([png.tobytes(), other_png.tobytes()]))
    by_tensor = loaded.signatures["serving_image_tensor"](
        images=tf.constant(np.stack([BLANK, other])))
    return {"bytes": by_bytes["num_detections"].numpy().astype(int).tolist(),
            "tensor": by_tensor["num_detections"].numpy().astype(int).tolist()}


def custom_backbone():
    """A model around the user's own backbone layers; zero class logits weights make every
    class 1/4 likely, below the 0.7 threshold: nothing is detected, on any CPU."""
    config = mrcnn_tf.Config(NUM_CLASSES=4, BACKBONE=tiny_backbone, IMAGES_PER_GPU=2,
                             IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128, TOP_DOWN_PYRAMID_SIZE=32,
                             FPN_CLASSIF_FC_LAYERS_SIZE=64)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    logits = model.keras_model.get_layer("mrcnn_class_logits")
    logits.set_weights([np.zeros_like(w) for w in logits.get_weights()])
    results = model.detect([BLANK, BLANK, BLANK])
    return {"counts": counts(results), "shapes_ok": shapes_ok(results, [BLANK] * 3)}


def main(weights, out_dir):
    out_dir = Path(out_dir)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(**CONFIG))
    model.load_weights(weights)
    other = skimage_image("astronaut")
    report = {"other_alone": counts(model.detect([other]))}
    attempt(report, "detect", lambda: detect_paths(model, [BLANK, other, BLANK, other]))
    attempt(report, "keras_reload", lambda: keras_reload(model, out_dir))
    attempt(report, "saved_model", lambda: saved_model(model, out_dir))
    attempt(report, "custom_backbone", custom_backbone)
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:3])
