"""Detect objects in the sample photos with the COCO weights and save annotated pictures.

    python3 samples/detect_images.py            # writes out/samples/NAME.png and NAME_objects/

The first run downloads matterport's mask_rcnn_coco.h5 (246 MiB) into ~/.cache/mrcnn_tf.
"""
from pathlib import Path

import cv2

import mrcnn_tf
from mrcnn_tf.weights.fetch import fetch

IMAGES = Path(__file__).parent / "images"
OUT = Path("out/samples")

model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(IMAGES_PER_GPU=1))
model.load_weights(fetch("coco"))
OUT.mkdir(parents=True, exist_ok=True)

for path in sorted(IMAGES.glob("*.jpg")):
    image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    result = model.detect([image])[0]
    # Keep what you need, e.g. mrcnn_tf.filter_result(result, names, classes="person,cat").
    picture = mrcnn_tf.visualize.draw_instances(image, result, mrcnn_tf.COCO_CLASS_NAMES)
    cv2.imwrite(str(OUT / f"{path.stem}.png"), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    objects = mrcnn_tf.extract_instances(image, result, mrcnn_tf.COCO_CLASS_NAMES)
    mrcnn_tf.save_instances(objects, OUT / f"{path.stem}_objects")
    found = ", ".join(f"{o.class_name} {o.score:.2f}" for o in objects) or "nothing"
    print(f"{path.name}: {found}")
