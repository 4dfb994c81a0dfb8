"""What a video run did: counts, times, files, and the one-line summary printed at the end."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path


@dataclasses.dataclass
class VideoSummary:
    """Result of ``process_video``.

    output / jsonl: the files kept (final names when ``complete``, ``*.partial.*`` names
    when the run was stopped), or None. interrupted: "SIGINT"/"SIGTERM" when a signal stopped
    the run. frames_read: decoded frames of the segment; frames_written: frames in the output;
    frames_processed: frames the model ran on (= JSON lines); frames_skipped: unreadable frames
    in the middle of the source; frames_missing: frames a truncated file announced but did not
    hold. seconds: wall time of the run; model_seconds: time inside detect(); writer_seconds:
    time the writer thread spent drawing, encoding and writing JSON (overlapping the model's
    time, so not part of the wall time outside the model). audio: "copied",
    "none" (the source has no audio track), "dropped" or "not applicable" (cameras, no video).
    """

    source: str
    output: Path | None = None
    jsonl: Path | None = None
    complete: bool = False
    interrupted: str | None = None
    frames_read: int = 0
    frames_written: int = 0
    frames_processed: int = 0
    frames_skipped: int = 0
    frames_missing: int = 0
    fps: float = 0.0
    width: int = 0
    height: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0
    writer_seconds: float = 0.0
    batch_size: int = 1
    tracks: int = 0
    audio: str = "not applicable"
    notices: list = dataclasses.field(default_factory=list)

    @property
    def speed(self) -> float:
        """Frames written per second of wall time."""
        return self.frames_written / self.seconds if self.seconds > 0 else 0.0

    @property
    def outside_model_share(self) -> float:
        """Share of the wall time not spent inside detect() (reading, drawing, encoding,
        tracking and waiting), 0-1."""
        if self.seconds <= 0:
            return 0.0
        return max(0.0, 1.0 - self.model_seconds / self.seconds)

    def line(self) -> str:
        """One line: frames read/written/skipped, time, speed, where the output went."""
        state = "done" if self.complete else f"stopped ({self.interrupted or 'error'})"
        text = (f"video {state}: {self.frames_read} frames read, {self.frames_written} "
                f"written, {self.frames_skipped} skipped as unreadable")
        if self.frames_missing:
            text += f", {self.frames_missing} missing (truncated source)"
        text += (f"; {self.seconds:.1f} s, {self.speed:.2f} frames/s, model "
                 f"{self.model_seconds:.1f} s on {self.frames_processed} frames")
        kept = [os.fspath(p) for p in (self.output, self.jsonl) if p is not None]
        return text + (f" -> {', '.join(kept)}" if kept else "")

    def __str__(self) -> str:
        return self.line()
