"""The page's video tab: a short clip through mrcnn_tf.video.process_video, the model calls
going through the ModelService queue like every other request."""
from __future__ import annotations

from pathlib import Path

from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS
from mrcnn_tf.video import process_video
from mrcnn_tf.video.audio import find_ffmpeg

FRAME_TIMEOUT = 600.0  # seconds a video frame may wait for the model (the clip is one job)


class QueuedModel:
    """What process_video needs of a model (config, detect) with detect() run by the
    service's worker thread."""

    def __init__(self, service, timeout: float = FRAME_TIMEOUT):
        self.service = service
        self.config = service.config
        self.timeout = timeout

    def detect(self, images, verbose=0, batch_size=None):
        del verbose, batch_size  # the service batches
        return self.service.detect(list(images), timeout=self.timeout)


def browser_notice() -> str | None:
    """Why the page's .mp4 may not play, or None when ffmpeg (H.264) is available."""
    if find_ffmpeg() is None:
        return ("no ffmpeg binary on the server: the video is mp4v, which browsers do not "
                "play (pip install imageio-ffmpeg); download it instead")
    return None


def process_clip(service, source, folder, *, class_names, min_score, classes,
                 max_seconds: float, max_pixels=DEFAULT_MAX_PIXELS):
    """Annotate the first max_seconds of the clip at path source into folder (frames of at
    most max_pixels, checked before decoding).

    Returns (annotated .mp4 path, JSON-lines path, summary lines). Raises VideoError (a
    ValueError) for unreadable clips.
    """
    folder = Path(folder)
    video, jsonl = folder / "annotated.mp4", folder / "detections.jsonl"
    summary = process_video(QueuedModel(service), source, video, class_names=class_names,
                            classes=list(classes) or None, min_score=min_score, jsonl=jsonl,
                            end=max_seconds, batch_size=1, progress=True, overwrite=True,
                            max_pixels=max_pixels)
    lines = [summary.line()] + [f"note: {n}" for n in summary.notices]
    return str(video), str(jsonl), lines
