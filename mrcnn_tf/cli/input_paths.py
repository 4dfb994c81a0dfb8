"""Inputs of ``mrcnn-tf detect``: files, folders and globs to image paths, and output names.

Output names: each image gets a stem (its file name without extension) that no other image
of the run uses, whose outputs (output_names: STEM.png, STEM.splash.png, STEM.json, ...,
STEM_objects) are not an input file and not one of the run's own files; clashes get "_2",
"_3", ... appended.
"""
from __future__ import annotations

import glob
import json
import os
from pathlib import Path

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif", ".tiff",
                              ".webp", ".jp2", ".pbm", ".pgm", ".ppm", ".pnm", ".sr", ".ras",
                              ".exr", ".hdr", ".pic", ".avif"})
GLOB_CHARACTERS = frozenset("*?[")
# STEM.SUFFIX images detect writes beside STEM.png (splash; --semantic's maps and preview)
SUFFIXES = (".splash.png", ".semantic.png", ".instances.png", ".semantic_preview.png")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _is_record(path: Path) -> bool:
    """Whether path is a NAME.json that detect wrote (it has "image" and "detections")."""
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and {"image", "detections"} <= record.keys()


def is_earlier_output(path: Path) -> bool:
    """Whether an image file is an output of an earlier detect run into its folder:
    STEM.png or STEM.SUFFIX (SUFFIXES) beside the STEM.json record of another image, or a
    cut-out in STEM_objects/ beside STEM.json."""
    name = path.name
    if path.parent.name.endswith("_objects") and _is_record(
            path.parent.with_name(path.parent.name[:-len("_objects")] + ".json")):
        return True
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    stem = name[:-len(suffix)] if suffix else path.stem
    record = path.with_name(f"{stem}.json")
    if path.suffix.lower() != ".png" or not _is_record(record):
        return False
    try:
        with open(record, encoding="utf-8") as f:
            source = Path(json.load(f)["image"])
        return not (source.exists() and os.path.samefile(source, path))
    except (OSError, ValueError, TypeError):
        return True


def _folder_images(folder: Path, recursive: bool, out_dir: Path | None) -> list:
    """Image files of a folder. Output files are skipped, inputs never: the output folder's
    subtree when it lies inside this folder; earlier outputs (is_earlier_output) when the
    output folder is this folder or contains it."""
    pattern = "**/*" if recursive else "*"
    out_holds_folder = out_dir is not None and _inside(folder.resolve(), out_dir)
    found = []
    for path in folder.glob(pattern):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if not path.is_file() or path.suffix.lower() not in IMAGE_EXTENSIONS:
            continue
        if out_dir is not None and _inside(path.resolve(), out_dir):
            if not out_holds_folder or is_earlier_output(path):
                continue  # never read our own outputs back in
        found.append(path)
    return sorted(found)


def expand_inputs(inputs, *, recursive=False, out_dir=None) -> tuple:
    """INPUT arguments -> (image paths in order without repeats, [(input, problem), ...]).

    A file is taken whatever its extension; a folder gives its image files (by extension,
    hidden files and the output folder skipped; sub-folders with recursive); other arguments
    with * ? [ are glob patterns (** spans folders). Missing paths and patterns matching no
    file are problems, reported by the caller. With out_dir, outputs of earlier runs found
    in folders are skipped (see _folder_images); inputs never are.
    """
    skip = Path(out_dir).resolve() if out_dir is not None else None
    paths, problems, seen = [], [], set()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = _folder_images(path, recursive, skip)
            if not found:
                problems.append((item, "folder has no image files"))
        elif path.exists() or not GLOB_CHARACTERS & set(item):
            found = [path]
        else:
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if os.path.isfile(p))
            if not found:
                problems.append((item, "no files match this pattern"))
        for p in found:
            key = os.path.normcase(os.path.abspath(p))
            if key not in seen:
                seen.add(key)
                paths.append(p)
    return paths, problems


def output_names(stem: str) -> list:
    """The file names an image with this stem may produce in the output folder (the folder
    STEM_objects last)."""
    return [f"{stem}.png", *(stem + suffix for suffix in SUFFIXES), f"{stem}.json",
            f"{stem}_objects"]


def plan_stems(paths, out_dir, *, reserved=()) -> list:
    """A unique output stem per path (see the module docstring). reserved: run-level file
    names in out_dir (e.g. detections.json)."""
    out_dir = Path(out_dir)
    inputs = {os.path.normcase(str(Path(p).resolve())) for p in paths}
    folders = {os.path.normcase(str(parent)) for p in paths for parent in Path(p).resolve().parents}
    taken = {os.path.normcase(name).lower() for name in reserved}
    stems = []
    for path in paths:
        base = Path(path).stem or "image"
        stem, n = base, 1
        while True:
            names = output_names(stem)
            resolved = [os.path.normcase(str((out_dir / name).resolve())) for name in names]
            clash = (any(os.path.normcase(name).lower() in taken for name in names)
                     or any(r in inputs for r in resolved)
                     or resolved[-1] in folders)  # STEM_objects holds inputs
            if not clash:
                break
            n += 1
            stem = f"{base}_{n}"
        taken.update(os.path.normcase(name).lower() for name in output_names(stem))
        stems.append(stem)
    return stems
