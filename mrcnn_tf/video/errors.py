"""The one exception the video pipeline raises for bad input or output."""
from __future__ import annotations


class VideoError(ValueError):
    """A problem with a video source, an output path or an option, stated in one line
    (e.g. "source 'clip.mp4': no such file"). Nothing has been written when it is raised
    before processing starts."""
