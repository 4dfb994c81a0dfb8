"""process_video with the real (small) Mask R-CNN: shapes, counts and detect() agreement."""
from __future__ import annotations

import cv2
import numpy as np

from mrcnn_tf import COCO_CLASS_NAMES
from mrcnn_tf.results import rle_to_mask
from mrcnn_tf.video import process_video, read_jsonl
from tests.video.synthetic import count_frames


def decoded_frames(path, indices) -> list:
    """RGB frames at these indices, decoded with OpenCV."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    for i in range(max(indices) + 1):
        ok, bgr = cap.read()
        assert ok
        if i in indices:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


class Recording:
    """The model, plus a record of the frames each detect() call received."""

    def __init__(self, model):
        self.model, self.config, self.frames, self.batches = model, model.config, [], []

    def detect(self, images, verbose=0, batch_size=None):
        self.frames += [np.array(image) for image in images]
        self.batches.append(len(images))
        return self.model.detect(images, verbose=verbose, batch_size=batch_size)


def test_small_model_on_an_odd_sized_60_fps_segment(small_model, videos, tmp_path):
    """12 frames of 641x359 at 60 fps, the model on every 4th (3 runs, batches of 2 + 1)."""
    model = Recording(small_model)
    summary = process_video(model, videos["odd60"], tmp_path / "out.mp4",
                            class_names=COCO_CLASS_NAMES, jsonl=tmp_path / "out.jsonl",
                            every=4, end=0.2, batch_size=2, progress=False)
    assert model.batches == [2, 1]
    assert summary.complete and summary.frames_processed == 3 and summary.batch_size == 2
    assert count_frames(tmp_path / "out.mp4") == (12, 60, 642, 360)  # H.264: padded to even
    records = read_jsonl(tmp_path / "out.jsonl")
    assert [r["frame"] for r in records] == [0, 4, 8]
    for d in (d for r in records for d in r["detections"]):
        assert rle_to_mask(d["rle"]).shape == (359, 641)
        assert d["class_name"] == COCO_CLASS_NAMES[d["class_id"]]
    # the model saw the decoded frames 0, 4, 8 in RGB order
    expected = decoded_frames(videos["odd60"], [0, 4, 8])
    assert len(model.frames) == 3
    for seen, frame in zip(model.frames, expected):
        assert seen.dtype == np.uint8 and np.array_equal(seen, frame)
