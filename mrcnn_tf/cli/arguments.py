"""argparse value types shared by the mrcnn-tf commands; each raises ArgumentTypeError with a
one-line reason that argparse prints after the option's name."""
from __future__ import annotations

import argparse


def positive_int(text) -> int:
    """A whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not >= 1")
    return value


def unit_float(text) -> float:
    """A number in [0, 1] (scores, thresholds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def image_dim(text) -> int:
    """An image side for IMAGE_MIN_DIM / IMAGE_MAX_DIM: a positive multiple of 64."""
    value = positive_int(text)
    if value % 64:
        raise argparse.ArgumentTypeError(f"{value} is not a multiple of 64 (64, 128, ... 1024)")
    return value
