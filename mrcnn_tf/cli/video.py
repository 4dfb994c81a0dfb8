"""``mrcnn-tf video``: detect, track and draw objects in a video file, camera or stream."""
from __future__ import annotations

import argparse
import os
import sys

from mrcnn_tf.cli.arguments import (add_max_pixels_argument, add_model_arguments,
                                    describe_command, positive_int)

DESCRIPTION = """\
Run Mask R-CNN over a video and write it back annotated: each object's mask, outline, box
and "class score" label, in a colour that stays with the object while it is tracked.

SOURCE is a video file, a camera index (0, 1, ...) or a stream URL (rtsp://, http://...).
OUTPUT (.mp4 or .avi) keeps the source's frame count, frame size and frame rate (measured
for cameras). With --jsonl, one JSON line per processed frame: {"frame", "source_frame",
"time", "detections": [{"track_id", "class_id", "class_name", "score", "box": [y1, x1, y2,
x2], "bbox": [x, y, w, h], "mask_area", "rle": {"size", "counts"}}]}.

OUTPUT is written as NAME.incomplete.EXT and renamed when complete. Ctrl-C or SIGTERM stop
the run cleanly: what was written is kept, playable, as NAME.partial.EXT (and the JSON lines
as NAME.partial.jsonl). The audio track is kept when an ffmpeg binary is available (pip
install imageio-ffmpeg). Unreadable frames are skipped and counted.

Exit status: 0 done, 1 failed during the run, 2 could not start (source, paths, weights,
options, frames larger than --max-pixels), 130 / 143 stopped by Ctrl-C / SIGTERM.
"""

EPILOG = """\
examples:
  mrcnn-tf video street.mp4 street_annotated.mp4 --weights coco --jsonl street.jsonl
  mrcnn-tf video 0 camera.mp4 --classes person --every 2 --end 60
  mrcnn-tf video clip.avi splash.mp4 --render splash --start 1:30 --end 2:00
  mrcnn-tf video balloons.mp4 out.mp4 --weights balloon.h5 --class-names balloon.txt

The first use of --weights coco downloads matterport's mask_rcnn_coco.h5 (246 MiB) into
$MRCNN_TF_HOME (default ~/.cache/mrcnn_tf).
"""

FFMPEG_LOG_LEVEL = "8"  # AV_LOG_FATAL: our own lines report unreadable frames


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The video command's arguments."""
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("source", metavar="SOURCE",
                        help="video file, camera index (0) or stream URL")
    parser.add_argument("output", metavar="OUTPUT", help="annotated video to write (.mp4 or .avi)")
    parser.add_argument("--render", choices=("overlay", "splash", "none"), default="overlay",
                        help="overlay: masks, boxes, labels (default); splash: grayscale "
                             "except the objects; none: frames unchanged")
    parser.add_argument("--jsonl", metavar="FILE", help="also write one JSON line per "
                                                        "processed frame")
    parser.add_argument("--every", type=positive_int, default=1, metavar="N",
                        help="run the model on every N-th frame; the frames between carry its "
                             "tracked result (default 1: every frame)")
    parser.add_argument("--batch-size", type=_batch_size, default=None, metavar="N|auto",
                        help="frames per model call (default auto: the fastest, by timing)")
    parser.add_argument("--start", type=_time, metavar="TIME",
                        help="start at this time: seconds (90.5) or [h:]m:s (1:30.5)")
    parser.add_argument("--end", type=_time, metavar="TIME", help="stop at this time")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace OUTPUT / the --jsonl file if they exist")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary (errors are still printed)")
    add_max_pixels_argument(parser, "a source with larger frames (the size its container or "
                                    "device states) is refused before a frame is decoded")
    add_model_arguments(parser, filters=True, exported=True)
    parser.set_defaults(run=run)


def _batch_size(text):
    return None if text.strip().lower() == "auto" else positive_int(text)


def _time(text) -> float:
    """Seconds from "90.5", "1:30.5" or "1:02:03"."""
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (seconds or [h:]m:s)") from None
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (seconds or [h:]m:s)")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def _error(message: str) -> None:
    print(f"mrcnn-tf video: error: {message}", file=sys.stderr)


def _check_inputs(args) -> None:
    """Source, output paths and options, before any model is loaded. Raises VideoError."""
    from mrcnn_tf.video import paths
    from mrcnn_tf.video.process import check_options
    from mrcnn_tf.video.source import VideoSource

    check_options(every=args.every, start=args.start, end=args.end, render=args.render,
                  batch_size=args.batch_size)
    paths.plan_outputs(args.source, args.output, args.jsonl, overwrite=args.overwrite)
    source = VideoSource(args.source, max_pixels=args.max_pixels)
    try:
        source.seek(args.start or 0.0)
    finally:
        source.close()


def run(args) -> int:
    """Run the video command with parsed arguments; returns the exit status."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_LOG_LEVEL)
    from mrcnn_tf.cli.model_setup import SetupError, model_or_exported
    from mrcnn_tf.video.errors import VideoError
    from mrcnn_tf.video.interrupt import EXIT_STATUS
    from mrcnn_tf.video.process import process_video

    try:
        _check_inputs(args)
        model, classes = model_or_exported(args, command="video", quiet=args.quiet)
        summary = process_video(model, args.source, args.output, class_names=classes.names,
                                classes=classes.keep, min_score=args.min_score,
                                render=args.render, jsonl=args.jsonl, every=args.every,
                                batch_size=args.batch_size, start=args.start, end=args.end,
                                progress=not args.quiet, overwrite=args.overwrite,
                                max_pixels=args.max_pixels)
    except (VideoError, SetupError) as err:
        _error(str(err))
        return 2
    except Exception as err:  # mid-run failure: the partial output is kept
        _error(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
               f"{_kept(args)}")
        return 1
    if summary.complete:
        return 0
    return EXIT_STATUS.get(summary.interrupted, 1)


def _kept(args) -> str:
    from pathlib import Path

    from mrcnn_tf.video.paths import PARTIAL, tagged

    kept = [tagged(Path(p), PARTIAL) for p in (args.output, args.jsonl) if p is not None]
    kept = [os.fspath(p) for p in kept if p.exists()]
    return f"; what was written is kept as {', '.join(kept)}" if kept else ""
