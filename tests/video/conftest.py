"""Synthetic videos shared by the video tests (written once per session with OpenCV)."""
from __future__ import annotations

import pytest

from tests.video.synthetic import corrupt_frame, truncate, write_video

FRAMES = 40


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    """name -> path: "odd60" 641x359 at 60 fps (.avi), "one_fps" 320x240 at 1 fps (.mp4),
    "small" 160x120 at 30 fps (.avi, a new object from frame 20), "garbage" = small with
    frame 17's bytes replaced by noise, "truncated" = small cut at 60% of its bytes."""
    d = tmp_path_factory.mktemp("videos")
    small = write_video(d / "small.avi", width=160, height=120, fps=30, frames=FRAMES,
                        new_object_at=20)
    return {
        "odd60": write_video(d / "odd60.avi", width=641, height=359, fps=60, frames=FRAMES),
        "one_fps": write_video(d / "one_fps.mp4", width=320, height=240, fps=1, frames=12),
        "small": small,
        "garbage": corrupt_frame(small, 17, d / "garbage.avi"),
        "truncated": truncate(small, 0.6, d / "truncated.avi"),
    }
