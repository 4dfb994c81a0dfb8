"""Seeing detections: a fast OpenCV renderer, a colour splash, and matterport's matplotlib view.

    from mrcnn_tf import visualize
    picture = visualize.draw_instances(image, result, class_names)   # uint8 RGB, input's size
    splash = visualize.color_splash(image, result)
    # matplotlib, matterport's look:
    visualize.display_instances(image, r["rois"], r["masks"], r["class_ids"], class_names,
                                r["scores"], ax=ax)
"""
from mrcnn_tf.visualize.colors import colorize_labels, instance_colors
from mrcnn_tf.visualize.display import apply_mask, display_instances, random_colors
from mrcnn_tf.visualize.draw import draw_instances, label_rect, label_rects, place_labels, style_for
from mrcnn_tf.visualize.splash import color_splash

__all__ = ["apply_mask", "color_splash", "colorize_labels", "display_instances", "draw_instances",
           "instance_colors", "label_rect", "label_rects", "place_labels", "random_colors",
           "style_for"]
