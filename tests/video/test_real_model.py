"""process_video with the real (small) Mask R-CNN: shapes, counts and detect() agreement."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf import COCO_CLASS_NAMES
from mrcnn_tf.evaluation.agreement import compare_detections
from mrcnn_tf.results import from_record, rle_to_mask
from mrcnn_tf.video import process_video, read_jsonl
from tests.helpers import skimage_image
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


@pytest.fixture(scope="module")
def detecting_model(r50_weights):
    """The small model at a threshold where the astronaut gives several detections (its best
    scores are ~0.55-0.7 with these weights at 256 px)."""
    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                                 IMAGE_MAX_DIM=256, DETECTION_MIN_CONFIDENCE=0.4)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(r50_weights)
    return model


def test_video_detections_are_what_detect_gives_on_each_frame(detecting_model, tmp_path):
    """A clip of the astronaut drifting sideways: every processed frame's JSON line agrees
    with detect() on the frame the model was given (parity criterion), and there are some."""
    astronaut = cv2.resize(skimage_image("astronaut"), (256, 256))
    path = tmp_path / "astronaut.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (256, 256))
    for k in range(6):
        writer.write(cv2.cvtColor(np.roll(astronaut, 3 * k, axis=1), cv2.COLOR_RGB2BGR))
    writer.release()
    model = Recording(detecting_model)
    summary = process_video(model, path, tmp_path / "out.mp4", class_names=COCO_CLASS_NAMES,
                            jsonl=tmp_path / "out.jsonl", every=2, batch_size=2,
                            progress=False)
    records = read_jsonl(tmp_path / "out.jsonl")
    assert summary.complete and [r["frame"] for r in records] == [0, 2, 4]
    assert len(model.frames) == 3
    counts = []
    for frame, record in zip(model.frames, records):
        expected = detecting_model.detect([frame])[0]
        got = from_record({**record, "height": frame.shape[0], "width": frame.shape[1]})
        counts.append(len(got["class_ids"]))
        agreement = compare_detections(expected, got, frame.shape[:2])
        assert agreement.passes(), f"frame {record['frame']}: {agreement}"
    assert min(counts) > 0, f"frames without detections prove nothing: {counts}"
