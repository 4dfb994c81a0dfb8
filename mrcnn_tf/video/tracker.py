"""Tracking detections across frames: a steady id and colour for each object.

Shape shorthand: N detections in the new frame, T live tracks. Boxes are [y1, x1, y2, x2]
pixels (y2/x2 exclusive); masks are bool [H, W, N] as in a detect() result.

Each update matches the frame's detections to the live tracks *of the same class*. A pair's
similarity is the IoU of the detection's mask with the track's last mask moved by the
track's velocity (the IoU of the boxes when either mask is empty or the result has none).
The assignment maximizes the total similarity (Hungarian method); pairs below
``iou_threshold`` stay unmatched. A detection without a track starts a new one with the next
id (1, 2, 3, ...); a track unmatched for more than ``max_misses`` updates ends, and its id is
never reused. A track's colour is chosen when it starts (its class's hue, a shade not worn
by another live track of that class) and kept while it lives.
"""
from __future__ import annotations

import colorsys
import dataclasses

import numpy as np
from scipy.optimize import linear_sum_assignment

from mrcnn_tf.ops.boxes import iou
from mrcnn_tf.visualize.colors import SHADES, class_hue

IOU_THRESHOLD = 0.3  # least similarity for a detection to continue a track
MAX_MISSES = 10  # updates a track may go unmatched before it ends
VELOCITY_SMOOTHING = 0.5  # weight of the previous velocity in the new estimate


@dataclasses.dataclass
class Track:
    """One tracked object: its id, class, last box (float [4]), velocity per update (float
    [4]), last mask cropped to its box (bool [h, w] or None), colour and unmatched updates."""

    track_id: int
    class_id: int
    box: np.ndarray
    velocity: np.ndarray
    mask: np.ndarray | None
    color: tuple
    misses: int = 0
    hits: int = 1

    def predicted_box(self) -> np.ndarray:
        return self.box + self.velocity * (self.misses + 1)


def crop_mask(mask, box) -> np.ndarray:
    """mask bool [H, W] restricted to box [y1, x1, y2, x2] (clipped to the image)."""
    y1, x1, y2, x2 = _clip_box(box, mask.shape)
    return mask[y1:y2, x1:x2].copy()


def moved_mask_iou(crop, top_left, mask, box) -> float:
    """IoU of a mask crop (bool [h, w]) placed with its top-left at ``top_left`` (y, x) and a
    full mask (bool [H, W]) whose pixels lie in ``box``; 0 when they do not meet."""
    height, width = mask.shape
    ty, tx = int(round(top_left[0])), int(round(top_left[1]))
    region = _clip_box((min(ty, box[0]), min(tx, box[1]), max(ty + crop.shape[0], box[2]),
                        max(tx + crop.shape[1], box[3])), (height, width))
    ry1, rx1, ry2, rx2 = region
    if ry2 <= ry1 or rx2 <= rx1:
        return 0.0
    placed = np.zeros((ry2 - ry1, rx2 - rx1), bool)
    py1, px1 = max(ty, ry1), max(tx, rx1)
    py2, px2 = min(ty + crop.shape[0], ry2), min(tx + crop.shape[1], rx2)
    if py2 > py1 and px2 > px1:
        placed[py1 - ry1:py2 - ry1, px1 - rx1:px2 - rx1] = crop[py1 - ty:py2 - ty,
                                                                 px1 - tx:px2 - tx]
    other = mask[ry1:ry2, rx1:rx2]
    inter = np.count_nonzero(placed & other)
    union = np.count_nonzero(placed) + np.count_nonzero(other) - inter
    return inter / union if union else 0.0


def _clip_box(box, shape) -> tuple:
    height, width = shape[:2]
    y1, x1, y2, x2 = (int(round(v)) for v in box)
    return max(y1, 0), max(x1, 0), min(y2, height), min(x2, width)


class Tracker:
    """Gives each detection a track id that stays with its object (see the module docstring).

    iou_threshold: least similarity (mask or box IoU, 0-1) to continue a track.
    max_misses: updates without a match after which a track ends.
    velocity_smoothing: weight (0-1) of the previous velocity when a track moves.
    """

    def __init__(self, *, iou_threshold: float = IOU_THRESHOLD, max_misses: int = MAX_MISSES,
                 velocity_smoothing: float = VELOCITY_SMOOTHING):
        if not 0 < iou_threshold <= 1:
            raise ValueError(f"iou_threshold={iou_threshold}: must lie in (0, 1]")
        if max_misses < 0:
            raise ValueError(f"max_misses={max_misses}: must be >= 0")
        self.iou_threshold = float(iou_threshold)
        self.max_misses = int(max_misses)
        self.velocity_smoothing = float(velocity_smoothing)
        self.tracks = []  # live tracks
        self.created = 0  # tracks started so far (= the last id given)
        self._created_per_class = {}

    def update(self, result) -> np.ndarray:
        """Match a frame's detections; returns int32 [N] track ids, in the result's order.

        result: dict with ``rois`` [N, 4] (y1, x1, y2, x2), ``class_ids`` [N] and optionally
        ``masks`` bool [H, W, N].
        """
        boxes = np.asarray(result["rois"], dtype=np.float64).reshape(-1, 4)
        class_ids = np.asarray(result["class_ids"]).reshape(-1).astype(np.int64)
        masks = result.get("masks")
        if masks is not None and np.asarray(masks).ndim == 3 and masks.shape[2] == len(boxes):
            masks = np.asarray(masks, dtype=bool)
        else:
            masks = None
        pairs = self._match(boxes, class_ids, masks)
        ids = np.zeros(len(boxes), np.int32)
        matched_tracks = set()
        for t, d in pairs:
            track = self.tracks[t]
            self._continue(track, boxes[d], None if masks is None else masks[:, :, d])
            ids[d] = track.track_id
            matched_tracks.add(t)
        survivors = []
        for t, track in enumerate(self.tracks):
            if t not in matched_tracks:
                track.misses += 1
            if track.misses <= self.max_misses:
                survivors.append(track)
        self.tracks = survivors
        for d in np.flatnonzero(ids == 0):
            track = self._start(int(class_ids[d]), boxes[d],
                                None if masks is None else masks[:, :, d])
            ids[d] = track.track_id
        return ids

    def color(self, track_id: int) -> tuple:
        """(r, g, b) ints 0-255 of a live track."""
        for track in self.tracks:
            if track.track_id == track_id:
                return track.color
        raise KeyError(f"track {track_id} is not live")

    def colors(self, track_ids) -> list:
        """Colours of live tracks, in the order of track_ids."""
        by_id = {track.track_id: track.color for track in self.tracks}
        return [by_id[int(i)] for i in track_ids]

    def similarity(self, track: Track, box, mask) -> float:
        """Mask IoU with the track moved by its velocity, or box IoU without usable masks."""
        predicted = track.predicted_box()
        if iou(predicted, box) <= 0:
            return 0.0
        if track.mask is None or mask is None or not track.mask.any():
            return iou(predicted, box)
        y1, x1, y2, x2 = _clip_box(box, mask.shape)
        if not mask[y1:y2, x1:x2].any():
            return iou(predicted, box)
        top_left = (track.box[0] + (predicted[0] + predicted[2] - track.box[0] - track.box[2]) / 2,
                    track.box[1] + (predicted[1] + predicted[3] - track.box[1] - track.box[3]) / 2)
        return moved_mask_iou(track.mask, top_left, mask, (y1, x1, y2, x2))

    def _match(self, boxes, class_ids, masks) -> list:
        """(track index, detection index) pairs maximizing the total similarity."""
        if not self.tracks or not len(boxes):
            return []
        scores = np.zeros((len(self.tracks), len(boxes)))
        for t, track in enumerate(self.tracks):
            for d in np.flatnonzero(class_ids == track.class_id):
                scores[t, d] = self.similarity(track, boxes[d],
                                               None if masks is None else masks[:, :, d])
        rows, cols = linear_sum_assignment(scores, maximize=True)
        return [(t, d) for t, d in zip(rows, cols) if scores[t, d] >= self.iou_threshold]

    def _continue(self, track: Track, box, mask) -> None:
        steps = track.misses + 1
        motion = (box - track.box) / steps
        if track.hits == 1:
            track.velocity = motion
        else:
            w = self.velocity_smoothing
            track.velocity = w * track.velocity + (1 - w) * motion
        track.box = box.copy()
        track.mask = None if mask is None else crop_mask(mask, box)
        track.misses = 0
        track.hits += 1

    def _start(self, class_id: int, box, mask) -> Track:
        self.created += 1
        track = Track(self.created, class_id, box.copy(), np.zeros(4),
                      None if mask is None else crop_mask(mask, box),
                      self._new_color(class_id))
        self.tracks.append(track)
        return track

    def _new_color(self, class_id: int) -> tuple:
        """Class hue; the next shade of the class not worn by one of its live tracks."""
        count = self._created_per_class.get(class_id, 0)
        self._created_per_class[class_id] = count + 1
        worn = {t.color for t in self.tracks if t.class_id == class_id}
        candidates = [_shade(class_id, (count + k) % len(SHADES)) for k in range(len(SHADES))]
        return next((c for c in candidates if c not in worn), candidates[0])


def _shade(class_id: int, k: int) -> tuple:
    saturation, value = SHADES[k]
    rgb = colorsys.hsv_to_rgb(class_hue(class_id), saturation, value)
    return tuple(int(round(c * 255)) for c in rgb)
