"""process_video: a video file, camera or stream in; an annotated video and JSON lines out.

    source -> reader thread (decode) -> model every N-th frame, batched -> filter -> tracker
           -> writer thread (draw, encode, JSON line) -> out.incomplete.mp4 -> out.mp4 (+ audio)

Everything is checked before anything is written. A run stopped by Ctrl-C / SIGTERM (or by
an error) finalizes what it wrote and keeps it as ``out.partial.mp4`` / ``x.partial.jsonl``.
"""
from __future__ import annotations

import functools
import math
import numbers
import os
import sys
import time

from mrcnn_tf.image_decode import DEFAULT_MAX_PIXELS
from mrcnn_tf.video import audio, paths
from mrcnn_tf.video.batching import BatchSizer
from mrcnn_tf.video.encode import open_encoder
from mrcnn_tf.video.errors import VideoError
from mrcnn_tf.video.interrupt import StopOnSignal
from mrcnn_tf.video.jsonl import JsonlWriter
from mrcnn_tf.video.frame_pipeline import FramePipeline
from mrcnn_tf.video.reader import BackgroundReader
from mrcnn_tf.video.render import check_render, make_renderer
from mrcnn_tf.video.source import CAMERA, FILE, VideoSource
from mrcnn_tf.video.summary import VideoSummary
from mrcnn_tf.video.tracker import Tracker
from mrcnn_tf.video.writer import BackgroundWriter

MAX_HELD_FRAMES = 64  # batch * every is capped so that at most this many frames wait


def process_video(model, source, output, *, class_names, classes=None, min_score=None,
                  render="overlay", jsonl=None, every=1, batch_size=None, start=None,
                  end=None, progress=True, overwrite=False, tracker=None,
                  max_pixels=DEFAULT_MAX_PIXELS) -> VideoSummary:
    """Detect, track and draw objects in a video; write the annotated video and JSON lines.

    model: a MaskRCNN (anything with ``detect(list of RGB uint8 [H, W, 3]) -> results``).
    source: video file path, camera index (0 or "0") or stream URL ("rtsp://...").
    output: .mp4 or .avi path, or None to write only ``jsonl``. The output keeps the source's
    frame count, size and frame rate (measured for cameras).
    class_names: index = class id ("BG" first). classes: keep only these (names,
    case-insensitive, or ids); min_score: keep detections scoring at least this (0-1).
    render: "overlay" (masks, boxes, labels in steady per-track colours), "splash" or "none".
    jsonl: path of a JSON Lines file, one line per processed frame (see video.jsonl).
    every: run the model on every N-th frame; the frames between carry its (tracked) result.
    batch_size: frames per model call, or None to pick the fastest by timing.
    start / end: seconds of the source to process (None = from the start / to the end).
    progress: show a progress bar and print the summary line (stderr).
    overwrite: replace existing output files. tracker: a Tracker (default Tracker()).
    max_pixels: largest frame (width x height), checked on the size the source states before
    decoding (VideoSource); None: no limit.
    Returns a VideoSummary. Raises VideoError (a ValueError) for bad sources, paths or
    options, before anything is written.
    """
    check_options(every=every, start=start, end=end, min_score=min_score, render=render,
                  batch_size=batch_size)
    class_ids = _target_classes(model, class_names, classes)
    video_file, jsonl_file = paths.plan_outputs(source, output, jsonl, overwrite=overwrite)
    clip = VideoSource(source, max_pixels=max_pixels)
    try:
        clip.seek(start or 0.0)
        _make_parents(video_file, jsonl_file)
        postprocess = functools.partial(_filter, class_names=class_names, classes=class_ids,
                                        min_score=min_score)
        return _Run(model, clip, video_file, jsonl_file, class_names=class_names,
                    render=render, every=int(every), batch_size=batch_size, end=end,
                    progress=progress, tracker=tracker or Tracker(),
                    postprocess=postprocess).execute()
    finally:
        clip.close()


def check_options(*, every=1, start=None, end=None, min_score=None, render="overlay",
                  batch_size=None) -> None:
    """VideoError (a ValueError) naming the first bad option of process_video."""
    check_render(render)
    if not _whole(every):
        raise VideoError(f"every={every!r}: expected a whole number >= 1")
    if batch_size is not None and not _whole(batch_size):
        raise VideoError(f"batch_size={batch_size!r}: expected a whole number >= 1 or None")
    for name, value in (("start", start), ("end", end), ("min_score", min_score)):
        if value is not None and not _seconds(value):
            raise VideoError(f"{name}={value!r}: expected a number >= 0")
    if start is not None and end is not None and end <= start:
        raise VideoError(f"end={end:g} s must come after start={start:g} s")
    if min_score is not None and min_score > 1:
        raise VideoError(f"min_score={min_score!r}: expected a number between 0 and 1")


def _whole(value) -> bool:
    """A whole number >= 1 (bools excluded)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _seconds(value) -> bool:
    """A finite real number >= 0 (bools excluded)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def _target_classes(model, class_names, classes):
    config = getattr(model, "config", None)
    num_classes = getattr(config, "NUM_CLASSES", None)
    if num_classes is not None and len(class_names) != num_classes:
        raise VideoError(f"class_names has {len(class_names)} names but the model has "
                         f"NUM_CLASSES={num_classes} (\"BG\" first)")
    if classes is None:
        return None
    from mrcnn_tf.filtering import class_ids_for

    try:
        return class_ids_for(classes, class_names)
    except ValueError as err:
        raise VideoError(f"classes: {err}") from None


def _filter(result, *, class_names, classes, min_score):
    if classes is None and min_score is None:
        return result
    from mrcnn_tf.filtering import filter_result

    return filter_result(result, class_names, classes=classes, min_score=min_score)


def _make_parents(*files) -> None:
    for f in files:
        if f is not None:
            f.final.parent.mkdir(parents=True, exist_ok=True)


class _Run:
    """One run after the checks: open the outputs, run the pipeline, finalize the files."""

    def __init__(self, model, clip, video_file, jsonl_file, *, class_names, render, every,
                 batch_size, end, progress, tracker, postprocess):
        self.model, self.clip = model, clip
        self.video_file, self.jsonl_file = video_file, jsonl_file
        self.class_names, self.every, self.end = class_names, every, end
        self.progress, self.tracker, self.postprocess = progress, tracker, postprocess
        self.render = make_renderer(render if video_file else "none", class_names)
        self.sizer = BatchSizer(batch_size, max_size=max(1, MAX_HELD_FRAMES // every))
        self.ffmpeg = audio.find_ffmpeg() if video_file else None
        self.summary = VideoSummary(source=clip.name, fps=clip.fps, width=clip.width,
                                    height=clip.height)

    def execute(self) -> VideoSummary:
        started = time.monotonic()
        writer = self._open_writer()
        bar = self._progress_bar()
        writer.on_written = lambda: bar.update(1)
        complete, error = False, None
        with StopOnSignal(announce=self.progress) as signals:
            pipeline = FramePipeline(
                model=self.model, postprocess=self.postprocess, tracker=self.tracker,
                writer=writer, every=self.every, sizer=self.sizer, stop=signals.event,
                frame_shape=(self.clip.height, self.clip.width))
            try:
                with BackgroundReader(self.clip, end=self.end) as reader:
                    complete = pipeline.run(reader)
            except BaseException as err:
                error = err
            finally:
                try:
                    writer.finish()
                except BaseException as err:
                    error = error or err
                bar.close()
            self._record(pipeline, writer, signals.signal_name, complete and error is None)
            self._finalize(written=writer.written)  # signals still held: renames complete
        self.summary.seconds = time.monotonic() - started
        if error is not None:
            raise error
        if self.progress:
            for notice in self.summary.notices:
                print(f"note: {notice}", file=sys.stderr)
            print(self.summary.line(), file=sys.stderr)
        return self.summary

    def _open_writer(self) -> BackgroundWriter:
        encoder, jsonl = None, None
        try:
            if self.video_file is not None:
                encoder, notice = open_encoder(self.video_file.temp, self.clip.fps,
                                               self.clip.width, self.clip.height,
                                               ffmpeg=self.ffmpeg)
                if notice:
                    self.summary.notices.append(notice)
            if self.jsonl_file is not None:
                jsonl = JsonlWriter(self.jsonl_file.temp)
        except BaseException:
            if encoder is not None:
                encoder.close()
            for f in (self.video_file, self.jsonl_file):
                if f is not None:
                    f.discard()
            raise
        return BackgroundWriter(encoder=encoder, render=self.render, jsonl=jsonl,
                                class_names=self.class_names)

    def _progress_bar(self):
        from tqdm import tqdm

        total = None
        if self.clip.frame_count is not None:
            first = self.clip.start_index
            last = self.clip.frame_count
            if self.end is not None:
                last = min(last, round(self.end * self.clip.fps))
            total = max(0, last - first)
        return tqdm(total=total, unit="frame", desc="video", file=sys.stderr,
                    disable=not self.progress, dynamic_ncols=True)

    def _record(self, pipeline, writer, signal_name, complete) -> None:
        s = self.summary
        s.complete, s.interrupted = complete, signal_name
        s.frames_read, s.frames_written = pipeline.read, writer.written
        s.frames_processed, s.model_seconds = pipeline.processed, pipeline.model_seconds
        s.writer_seconds = writer.seconds
        s.frames_skipped, s.frames_missing = self.clip.skipped, self.clip.missing
        s.batch_size, s.tracks = self.sizer.current, self.tracker.created
        if self.clip.missing:
            s.notices.append(f"the source ended {self.clip.missing} frames before the end it "
                             "announced (truncated file?)")

    def _finalize(self, *, written: int) -> None:
        s = self.summary
        empty = written == 0
        if self.jsonl_file is not None:
            s.jsonl = self.jsonl_file.finish(complete=s.complete, empty=empty)
        if self.video_file is None:
            return
        if not s.complete:
            s.output = self.video_file.finish(complete=False, empty=empty)
            s.audio = "dropped" if self.clip.kind == FILE else "not applicable"
            return
        self._add_audio()
        s.output = self.video_file.finish(complete=True, empty=empty)

    def _add_audio(self) -> None:
        """Mux the source's audio into the temporary video when possible (in place)."""
        s = self.summary
        if self.clip.kind == CAMERA:
            return
        if self.clip.kind != FILE:
            s.notices.append("audio is not kept from streams")
            s.audio = "dropped"
            return
        if self.ffmpeg is None:
            s.audio = "dropped"
            s.notices.append("no ffmpeg binary found (pip install imageio-ffmpeg): the audio "
                             "track of the input, if any, was dropped")
            return
        if not audio.has_audio(self.ffmpeg, self.clip.value):
            s.audio = "none"
            return
        temp = self.video_file.temp
        muxed = paths.tagged(self.video_file.final, "muxing")
        reason = audio.mux_audio(self.ffmpeg, temp, self.clip.value, muxed,
                                 start=self.clip.start_time,
                                 duration=s.frames_written / self.clip.fps)
        if reason is None:
            os.replace(muxed, temp)
            s.audio = "copied"
        else:
            s.audio = "dropped"
            s.notices.append(f"the audio track could not be copied ({reason})")
