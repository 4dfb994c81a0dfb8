"""Output files of a run: checks before anything is written, temporary names, final names.

``out.mp4`` is written as ``out.incomplete.mp4`` and renamed to ``out.mp4`` when complete;
a run stopped by a signal or an error keeps what it wrote as ``out.partial.mp4`` (and the
JSON lines as ``x.partial.jsonl``). An existing file is replaced only with ``overwrite``.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from mrcnn_tf.output_folders import OutputFolderError, check_writable
from mrcnn_tf.video.encode import check_extension
from mrcnn_tf.video.errors import VideoError
from mrcnn_tf.video.source import FILE, parse_source

INCOMPLETE, PARTIAL = "incomplete", "partial"


def tagged(path: Path, tag: str) -> Path:
    """out.mp4 -> out.<tag>.mp4"""
    return path.with_name(f"{path.stem}.{tag}{path.suffix}")


@dataclasses.dataclass(frozen=True)
class OutputFile:
    """One output: the final name and the names it has while written and when partial."""

    final: Path

    @property
    def temp(self) -> Path:
        return tagged(self.final, INCOMPLETE)

    @property
    def partial(self) -> Path:
        return tagged(self.final, PARTIAL)

    def finish(self, *, complete: bool, empty: bool):
        """Rename the temporary file: to the final name when complete, else to the partial
        name (removed instead when nothing was written). Returns the kept path or None."""
        if not self.temp.exists():
            return None
        if empty and not complete:
            self.temp.unlink()
            return None
        target = self.final if complete else self.partial
        os.replace(self.temp, target)
        return target

    def discard(self) -> None:
        if self.temp.exists():
            self.temp.unlink()


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def plan_outputs(source, output, jsonl, *, overwrite: bool) -> tuple:
    """(video OutputFile or None, jsonl OutputFile or None) after checking the paths.

    Raises VideoError when there is nothing to write, an extension is not .mp4/.avi, an
    output would be the source or the other output, an output is a folder, or an output
    exists and overwrite is False, or an output's folder cannot be created or written. Nothing
    is created here.
    """
    if output is None and jsonl is None:
        raise VideoError("nothing to write: give an output video and/or a jsonl path")
    kind, source_path = parse_source(source)
    files = []
    for label, path in (("output", output), ("jsonl", jsonl)):
        if path is None:
            files.append(None)
            continue
        path = Path(path).expanduser()
        if label == "output":
            check_extension(path)
        name = repr(os.fspath(path))
        if kind == FILE and _same_file(path, source_path):
            raise VideoError(f"{label} {name} is the source video; choose another name")
        if files and files[0] is not None and _same_file(path, files[0].final):
            raise VideoError(f"jsonl {name} is the output video; choose another name")
        if path.is_dir():
            raise VideoError(f"{label} {name} is a folder; give a file name")
        if path.exists() and not overwrite:
            raise VideoError(f"{label} {name} exists; pass overwrite=True (--overwrite) to "
                             "replace it")
        try:
            check_writable(path.parent, f"{label} {name}")
        except OutputFolderError as err:
            raise VideoError(str(err)) from None
        files.append(OutputFile(path))
    return files[0], files[1]
