"""Video and camera segmentation: annotated video out, steady track ids, JSON lines.

    import mrcnn_tf
    from mrcnn_tf.video import process_video

    model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(IMAGES_PER_GPU=1))
    model.load_weights("mask_rcnn_coco.h5")
    summary = process_video(model, "street.mp4", "street_annotated.mp4",
                            class_names=mrcnn_tf.COCO_CLASS_NAMES, classes=["person", "car"],
                            jsonl="street.jsonl", every=2)
    print(summary.line())

Modules: source (OpenCV reading, unreadable frames counted), reader / writer (background
threads), encode (OpenCV writers; ffmpeg for odd-sized .mp4), tracker (ids and colours),
pipeline (model every N-th frame, batched), jsonl, audio (ffmpeg muxing), interrupt
(SIGINT/SIGTERM), paths (temporary / partial names), process (process_video), cli.
TensorFlow is not imported here: the model is passed in.
"""
from mrcnn_tf.video.errors import VideoError
from mrcnn_tf.video.jsonl import read_jsonl
from mrcnn_tf.video.process import process_video
from mrcnn_tf.video.summary import VideoSummary
from mrcnn_tf.video.tracker import Tracker

__all__ = ["Tracker", "VideoError", "VideoSummary", "process_video", "read_jsonl"]
