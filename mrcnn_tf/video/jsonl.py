"""JSON Lines output: one line per processed frame, flushed as it is written.

Each line:

    {"frame": 12,              # index of the frame in the output video (0 = first)
     "source_frame": 162,      # its index in the source
     "time": 5.4,              # seconds from the source's start
     "detections": [{"track_id": 3, "class_id": 1, "class_name": "person", "score": 0.98,
                     "box": [y1, x1, y2, x2], "bbox": [x, y, w, h], "mask_area": 5120,
                     "rle": {"size": [h, w], "counts": "..."}}]}

Boxes are pixels (y2/x2 exclusive); ``rle`` is pycocotools' compressed RLE of the mask,
readable with ``mrcnn_tf.results.rle_to_mask``.
"""
from __future__ import annotations

import json

from mrcnn_tf import results


def frame_record(result, track_ids, class_names, *, frame: int, source_frame: int,
                 time: float) -> dict:
    """The JSON record of one processed frame (see the module docstring).

    result: a detect() result (rois [N, 4], class_ids [N], scores [N], masks bool [H, W, N]);
    track_ids: int [N].
    """
    bboxes = results.boxes_to_xywh(result["rois"])
    areas = result["masks"].sum(axis=(0, 1))
    detections = []
    for i, rle in enumerate(results.masks_to_rle(result["masks"])):
        class_id = int(result["class_ids"][i])
        detections.append({
            "track_id": int(track_ids[i]), "class_id": class_id,
            "class_name": results.class_name(class_names, class_id),
            "score": round(float(result["scores"][i]), 6),
            "box": [int(v) for v in result["rois"][i]], "bbox": [int(v) for v in bboxes[i]],
            "mask_area": int(areas[i]), "rle": rle})
    return {"frame": int(frame), "source_frame": int(source_frame), "time": round(time, 6),
            "detections": detections}


class JsonlWriter:
    """Appends records to a JSON Lines file, one line each, flushed after every line."""

    def __init__(self, path):
        self.path = path
        self.lines = 0
        self._file = open(path, "w", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> None:
        self._file.close()


def read_jsonl(path) -> list:
    """All records of a JSON Lines file written by JsonlWriter."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
