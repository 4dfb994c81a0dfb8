"""The page's video tab: a clip through process_video with the model calls queued on the
service; the result is an H.264 .mp4 and JSON lines, cut at max_seconds."""
from __future__ import annotations

import subprocess

import cv2
import numpy as np

from mrcnn_tf import COCO_CLASS_NAMES
from mrcnn_tf.serve import page_video
from mrcnn_tf.video import read_jsonl
from mrcnn_tf.video.audio import find_ffmpeg
from tests.serve.conftest import same_result


def test_queued_model_answers_through_the_service(service, images, expected):
    model = page_video.QueuedModel(service)
    assert model.config is service.config
    calls = service.stats.calls
    result = model.detect([images["coffee"]], verbose=0, batch_size=4)[0]
    assert service.stats.calls == calls + 1
    assert same_result(result, expected["coffee"])


def test_a_clip_becomes_h264_and_json_lines_cut_at_max_seconds(service, images, tmp_path):
    ffmpeg = find_ffmpeg()
    assert ffmpeg is not None, "no ffmpeg binary: pip install -e '.[test]' (imageio-ffmpeg)"
    source = tmp_path / "clip.avi"
    frame = cv2.resize(images["astronaut"], (128, 96))
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"MJPG"), 4, (128, 96))
    for k in range(8):  # 2 s at 4 fps
        writer.write(cv2.cvtColor(np.roll(frame, 2 * k, axis=1), cv2.COLOR_RGB2BGR))
    writer.release()
    video, jsonl, lines = page_video.process_clip(
        service, source, tmp_path / "out", class_names=COCO_CLASS_NAMES, min_score=None,
        classes=[], max_seconds=1.0)
    assert "frames" in lines[0]
    assert [r["frame"] for r in read_jsonl(jsonl)] == [0, 1, 2, 3]  # 1 s at 4 fps
    probe = subprocess.run([ffmpeg, "-hide_banner", "-i", video], capture_output=True,
                           text=True).stderr
    assert "h264" in probe and "yuv420p" in probe, probe
    assert page_video.browser_notice() is None


def test_without_ffmpeg_the_page_says_the_video_will_not_play(monkeypatch):
    monkeypatch.setattr(page_video, "find_ffmpeg", lambda: None)
    assert "browsers do not play" in page_video.browser_notice()
