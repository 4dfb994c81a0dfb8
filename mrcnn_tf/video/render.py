"""What is drawn on each output frame: the overlay, the colour splash, or nothing."""
from __future__ import annotations

from mrcnn_tf.video.errors import VideoError

RENDER_MODES = ("overlay", "splash", "none")


def check_render(render: str) -> str:
    if render not in RENDER_MODES:
        raise VideoError(f"render={render!r}: expected one of {', '.join(RENDER_MODES)}")
    return render


def make_renderer(render: str, class_names):
    """callable(image, result, colors) -> RGB uint8 [H, W, 3] for a render mode.

    "overlay": masks, outlines, boxes and labels (visualize.draw_instances) in the track
    colours; "splash": grayscale except the objects (visualize.color_splash); "none": the
    frame unchanged.
    """
    check_render(render)
    if render == "none":
        return lambda image, result, colors: image
    from mrcnn_tf import visualize

    if render == "splash":
        return lambda image, result, colors: visualize.color_splash(image, result)

    def overlay(image, result, colors):
        if not len(result["class_ids"]):
            return image
        return visualize.draw_instances(image, result, class_names, colors=colors)

    return overlay
