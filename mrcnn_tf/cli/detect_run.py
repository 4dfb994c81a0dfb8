"""One run of ``mrcnn-tf detect``: check the options, load the model, process each image.

Per image: read (OpenCV) -> detect -> filter (classes, score) -> write NAME.png,
NAME.splash.png, NAME.semantic.png (and .instances.png, .semantic_preview.png), NAME.json,
NAME_objects/. The run's detections.json and image_ids.json are written at the end, also
when images failed or the run was interrupted.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from mrcnn_tf.cli import image_io, input_paths, model_setup
from mrcnn_tf.cli.model_setup import SetupError
from mrcnn_tf.output_folders import OutputFolderError, check_writable

DETECTIONS_FILE = "detections.json"
IMAGE_IDS_FILE = "image_ids.json"
# tqdm's default shows s/img below 1 img/s; the rate in images per second reads the same way
# for fast and slow machines.
BAR_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
              "[{elapsed}<{remaining}, {rate_noinv_fmt}]")


@dataclasses.dataclass
class DetectRun:
    """State of one detect run (see the module docstring)."""

    args: argparse.Namespace
    out_dir: Path
    paths: list  # input images, in processing order
    input_problems: list  # [(input, problem)] for inputs that gave no image
    stems: list  # output name of each path
    classes: model_setup.ModelClasses
    model: object = None
    coco_results: list = dataclasses.field(default_factory=list)
    image_ids: dict = dataclasses.field(default_factory=dict)
    detection_count: int = 0

    @classmethod
    def prepare(cls, args) -> "DetectRun":
        """Check options and inputs (no model yet). Raises SetupError."""
        out_dir = Path(args.out)
        if out_dir.exists() and not out_dir.is_dir():
            raise SetupError(f"--out {args.out!r} exists and is not a folder")
        try:
            check_writable(out_dir, f"--out {args.out!r}")
        except OutputFolderError as err:
            raise SetupError(str(err)) from None
        paths, problems = input_paths.expand_inputs(args.inputs, recursive=args.recursive,
                                               out_dir=out_dir)
        stems = input_paths.plan_stems(paths, out_dir, reserved=(DETECTIONS_FILE, IMAGE_IDS_FILE))
        if getattr(args, "model", None):  # an exported model: its own classes, no TensorFlow
            model, classes = model_setup.model_or_exported(args, command="detect",
                                                            quiet=args.quiet)
            return cls(args, out_dir, paths, problems, stems, classes, model)
        classes = model_setup.choose_classes(args, command="detect", quiet=args.quiet)
        return cls(args, out_dir, paths, problems, stems, classes)

    def setup_model(self) -> None:
        """Resolve (maybe download) the weights and build the model. Raises SetupError."""
        if self.model is not None:  # --model: loaded by prepare
            return
        self.model = model_setup.load_from_args(self.args, command="detect",
                                                quiet=self.args.quiet,
                                                num_classes=self.classes.num_classes)

    def process_all(self, report) -> int:
        """Process every image; report(path, problem) for failures. Returns the failures."""
        from tqdm import tqdm

        self.out_dir.mkdir(parents=True, exist_ok=True)
        failed = 0
        start = time.monotonic()
        bar = tqdm(total=len(self.paths), unit="img", desc="detect", file=sys.stderr,
                   disable=self.args.quiet or len(self.paths) < 2, bar_format=BAR_FORMAT)
        try:
            for image_id, (path, stem) in enumerate(zip(self.paths, self.stems), start=1):
                problem = self.process_one(path, stem, image_id)
                if problem:
                    failed += 1
                    report(path, problem)
                bar.update(1)
        finally:
            bar.close()
            try:
                self.write_run_files()
            except OSError as err:
                failed += 1
                report(self.out_dir / DETECTIONS_FILE, f"cannot write the run's files ({err})")
        if not self.args.quiet:
            print(self.summary(failed, time.monotonic() - start), file=sys.stderr)
        return failed

    def summary(self, failed: int, seconds: float) -> str:
        """The closing line: images processed of those found, and every input that failed."""
        done = len(self.paths) - failed
        line = (f"mrcnn-tf detect: {done} of {len(self.paths)} images processed in "
                f"{seconds:.1f} s, {self.detection_count} detections, written to "
                f"{self.out_dir}")
        if failed:
            line += f"; {failed} failed"
        if self.input_problems:
            line += (f"; {len(self.input_problems)} of {len(self.args.inputs)} inputs gave no "
                     "image")
        return line

    def process_one(self, path, stem, image_id):
        """Detect in one image and write its outputs; returns a problem string or None."""
        try:
            image = image_io.read_image(path, max_pixels=self.args.max_pixels)
        except image_io.ImageReadError as err:
            return str(err)
        try:
            result = self.model.detect([image])[0]
        except ValueError as err:  # detect() names the problem ("image[0]: ...")
            return str(err).replace("image[0]: ", "")
        except Exception as err:  # e.g. out of memory on a huge image: report, go on
            first_line = (str(err).splitlines() or [""])[0]
            return f"detection failed ({type(err).__name__}: {first_line})"
        from mrcnn_tf.filtering import filter_result

        result = filter_result(result, self.classes.names, classes=self.classes.keep,
                               min_score=self.args.min_score)
        try:
            self.write_outputs(path, stem, image_id, image, result)
        except OSError as err:
            return f"cannot write outputs to {self.out_dir} ({err})"
        self.detection_count += len(result["class_ids"])
        return None

    def write_outputs(self, path, stem, image_id, image, result) -> None:
        from mrcnn_tf import results, visualize
        from mrcnn_tf.extract import extract_instances, save_instances

        out = self.out_dir
        if not self.args.no_draw:
            image_io.write_png(out / f"{stem}.png",
                               visualize.draw_instances(image, result, self.classes.names))
        if self.args.splash:
            image_io.write_png(out / f"{stem}.splash.png", visualize.color_splash(image, result))
        if self.args.semantic:
            self.write_maps(stem, result)
        if self.args.extract:
            objects = out / f"{stem}_objects"
            for old in objects.glob("[0-9][0-9][0-9]*_*.png"):  # a previous run's cut-outs
                old.unlink()
            save_instances(extract_instances(image, result, self.classes.names), objects)
        image_io.write_json(out / f"{stem}.json", results.to_record(
            result, self.classes.names, image=os.fspath(path), image_id=image_id))
        self.coco_results += results.to_coco(result, image_id, self.classes.names)
        self.image_ids[os.fspath(path)] = image_id

    def write_maps(self, stem, result) -> None:
        """--semantic: NAME.semantic.png (class ids, 8-bit for up to 256 classes),
        NAME.instances.png (detection index + 1) and NAME.semantic_preview.png (colours)."""
        from mrcnn_tf import results, visualize

        semantic = results.semantic_map(result)
        image_io.write_label_png(self.out_dir / f"{stem}.semantic.png", semantic,
                                 max_value=len(self.classes.names) - 1)
        image_io.write_label_png(self.out_dir / f"{stem}.instances.png",
                                 results.instance_map(result))
        image_io.write_png(self.out_dir / f"{stem}.semantic_preview.png",
                           visualize.colorize_labels(semantic))

    def write_run_files(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        image_io.write_json(self.out_dir / DETECTIONS_FILE, self.coco_results)
        image_io.write_json(self.out_dir / IMAGE_IDS_FILE, self.image_ids)

