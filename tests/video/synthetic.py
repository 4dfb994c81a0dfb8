"""Synthetic test videos written with OpenCV, damaged copies, and a colour-shape "model".

Videos show, on a dark gray background, a red disc moving left to right and a green square
moving down-right; from ``new_object_at`` on a blue square appears. ``ShapeModel`` finds
these shapes by colour, so pipeline tests get real, known detections without TensorFlow.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

BACKGROUND = 60
RED, GREEN, BLUE = (230, 30, 30), (30, 220, 30), (40, 40, 230)  # RGB
# colour -> class id in COCO_CLASS_NAMES (person, car, dog)
SHAPE_CLASSES = {"red": 1, "green": 3, "blue": 17}
MIN_AREA = 30  # pixels for a blob to count as a detection


def draw_frame(i: int, n: int, width: int, height: int, *, new_object_at=None) -> np.ndarray:
    """Frame i of n: RGB uint8 [height, width, 3]."""
    frame = np.full((height, width, 3), BACKGROUND, np.uint8)
    radius = max(6, min(width, height) // 10)
    progress = i / max(n - 1, 1)
    cx = int(radius + progress * (width - 2 * radius - 1))
    cv2.circle(frame, (cx, height // 3), radius, RED, cv2.FILLED)
    side = max(8, min(width, height) // 6)
    x = int(progress * (width // 2))
    y = int(height // 2 + progress * (height // 2 - side - 1))
    cv2.rectangle(frame, (x, y), (x + side, y + side), GREEN, cv2.FILLED)
    if new_object_at is not None and i >= new_object_at:
        cv2.rectangle(frame, (width - side - 4, 4), (width - 5, side + 3), BLUE, cv2.FILLED)
    return frame


def write_video(path, *, width=160, height=120, fps=30.0, frames=30, new_object_at=None):
    """Write a synthetic video with OpenCV: .avi as MJPEG by OpenCV's own writer (keeps odd
    sizes), .mp4 as mp4v by OpenCV's FFmpeg writer (even sizes only). Returns the path."""
    path = Path(path)
    if path.suffix == ".avi":
        api, fourcc = cv2.CAP_OPENCV_MJPEG, "MJPG"
    else:
        api, fourcc = cv2.CAP_FFMPEG, "mp4v"
        assert width % 2 == 0 and height % 2 == 0, "OpenCV writes mp4 at even sizes only"
    writer = cv2.VideoWriter(str(path), api, cv2.VideoWriter_fourcc(*fourcc), fps,
                             (width, height))
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(frames):
        writer.write(cv2.cvtColor(draw_frame(i, frames, width, height,
                                             new_object_at=new_object_at), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def corrupt_frame(path, frame: int, out_path) -> Path:
    """Copy of an MJPEG .avi with frame ``frame``'s JPEG data (after its SOI marker) replaced
    by random bytes of the same length."""
    data = bytearray(Path(path).read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    begin, stop = starts[frame], starts[frame + 1]
    noise = np.random.default_rng(frame).integers(0, 256, stop - begin - 16, dtype=np.uint8)
    data[begin:begin + len(noise)] = noise.tobytes()
    Path(out_path).write_bytes(bytes(data))
    return Path(out_path)


def corrupt_all_frames(path, out_path) -> Path:
    """Copy of an MJPEG .avi with every frame's JPEG data after its SOI marker replaced by
    noise (the container's headers, frame size included, are kept): no frame decodes."""
    data = bytearray(Path(path).read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xD8]
    rng = np.random.default_rng(0)
    for begin, stop in zip(starts, starts[1:] + [starts[-1] + starts[1] - starts[0]]):
        stop = min(stop, len(data)) - 16  # the next frame's chunk header stays
        data[begin + 2:stop] = rng.integers(0, 256, stop - begin - 2, dtype=np.uint8).tobytes()
    Path(out_path).write_bytes(bytes(data))
    return Path(out_path)


def truncate(path, fraction: float, out_path) -> Path:
    """Copy of a file cut after ``fraction`` of its bytes."""
    data = Path(path).read_bytes()
    Path(out_path).write_bytes(data[:int(len(data) * fraction)])
    return Path(out_path)


def count_frames(path) -> tuple:
    """(frames decoded, fps, width, height) of a video, read back with OpenCV."""
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} does not open"
    fps = cap.get(cv2.CAP_PROP_FPS)
    count, shape = 0, None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        count += 1
        shape = frame.shape
    cap.release()
    return count, fps, (shape[1] if shape else 0), (shape[0] if shape else 0)


def _color_mask(image, name) -> np.ndarray:
    r, g, b = (image[:, :, k].astype(np.int16) for k in range(3))
    if name == "red":
        return (r > 150) & (g < 110) & (b < 110)
    if name == "green":
        return (g > 150) & (r < 110) & (b < 110)
    return (b > 150) & (r < 110) & (g < 110)


class ShapeModel:
    """A stand-in for MaskRCNN: detect() finds the coloured shapes of the synthetic videos
    (one detection per connected blob of a colour, score 0.9, class from SHAPE_CLASSES).

    delay: seconds slept per detect() call (to make a run last); calls: batch sizes seen.
    """

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.calls = []

    def detect(self, images, verbose=0):
        self.calls.append(len(images))
        if self.delay:
            time.sleep(self.delay)
        return [self._detect_one(np.asarray(image)) for image in images]

    def _detect_one(self, image) -> dict:
        rois, class_ids, masks = [], [], []
        for name, class_id in SHAPE_CLASSES.items():
            count, labels, stats, _ = cv2.connectedComponentsWithStats(
                _color_mask(image, name).astype(np.uint8))
            for k in range(1, count):
                x, y, w, h, area = stats[k]
                if area < MIN_AREA:
                    continue
                rois.append([y, x, y + h, x + w])
                class_ids.append(class_id)
                masks.append(labels == k)
        height, width = image.shape[:2]
        return {"rois": np.array(rois, np.int32).reshape(-1, 4),
                "class_ids": np.array(class_ids, np.int32),
                "scores": np.full(len(rois), 0.9, np.float32),
                "masks": (np.stack(masks, axis=-1) if masks
                          else np.zeros((height, width, 0), bool))}
