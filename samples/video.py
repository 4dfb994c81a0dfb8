"""Segment a video with the COCO weights: annotated video with steady colours + JSON lines.

    python3 samples/video.py street.mp4   # writes out/video/street_segmented.mp4, street.jsonl
    python3 samples/video.py                 # no video? pans across a sample photo instead

The first run downloads matterport's mask_rcnn_coco.h5 (246 MiB) into ~/.cache/mrcnn_tf.
Ctrl-C stops cleanly and keeps what was written as out/video/NAME_segmented.partial.mp4.
"""
import sys
from pathlib import Path

import cv2

import mrcnn_tf
from mrcnn_tf.video import process_video
from mrcnn_tf.weights.fetch import fetch

OUT = Path("out/video")


def demo_clip(path, seconds=3, fps=25, size=(640, 360)):
    """A short clip panning across samples/images/astronaut.jpg, written with OpenCV."""
    photo = cv2.imread(str(Path(__file__).parent / "images" / "astronaut.jpg"))
    photo = cv2.resize(photo, (size[0] * 3 // 2, size[1] * 3 // 2))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    frames = seconds * fps
    for i in range(frames):
        x = (photo.shape[1] - size[0]) * i // frames
        writer.write(photo[:size[1], x:x + size[0]])
    writer.release()
    return path


OUT.mkdir(parents=True, exist_ok=True)
source = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_clip(OUT / "demo_clip.mp4")

# 512 pixels for the model is about 3x faster than matterport's 1024, a little less accurate.
config = mrcnn_tf.CocoConfig(IMAGES_PER_GPU=1, IMAGE_MIN_DIM=512, IMAGE_MAX_DIM=512)
model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
model.load_weights(fetch("coco"))
summary = process_video(model, source, OUT / f"{source.stem}_segmented.mp4",
                        class_names=mrcnn_tf.COCO_CLASS_NAMES,
                        jsonl=OUT / f"{source.stem}.jsonl",
                        every=1,            # 2, 3, ...: model on every N-th frame, faster
                        overwrite=True)     # classes=["person", "car"] keeps only those
print(f"{summary.tracks} objects tracked; output: {summary.output}")
