"""One run of ``mrcnn-tf detect``: check the options, load the model, process each image.

Per image: read (OpenCV) -> detect -> filter (classes, score) -> write NAME.png,
NAME.splash.png, NAME.json, NAME_objects/. The run's detections.json and image_ids.json
are written at the end, also when images failed or the run was interrupted.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from mrcnn_tf.cli import image_io, inputs, model_setup
from mrcnn_tf.cli.model_setup import SetupError

DETECTIONS_FILE = "detections.json"
IMAGE_IDS_FILE = "image_ids.json"
# tqdm's default shows s/img below 1 img/s; the rate in images per second reads the same way
# for fast and slow machines.
BAR_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
              "[{elapsed}<{remaining}, {rate_noinv_fmt}]")


class DetectRun:
    """State of one detect run (see the module docstring)."""

    def __init__(self, args, out_dir, paths, input_problems, stems, weights_spec, num_classes,
                 class_names, class_ids):
        self.args = args
        self.out_dir = out_dir
        self.paths = paths
        self.input_problems = input_problems
        self.stems = stems
        self.weights_spec = weights_spec
        self.num_classes = num_classes
        self.class_names = class_names
        self.class_ids = class_ids  # target class ids, or None for all
        self.model = None
        self.coco_results = []
        self.image_ids = {}
        self.detection_count = 0

    @classmethod
    def prepare(cls, args) -> "DetectRun":
        """Check options and inputs (no model yet). Raises SetupError."""
        out_dir = Path(args.out)
        if out_dir.exists() and not out_dir.is_dir():
            raise SetupError(f"--out {args.out!r} exists and is not a folder")
        paths, problems = inputs.expand_inputs(args.inputs, recursive=args.recursive,
                                               out_dir=out_dir)
        stems = inputs.plan_stems(paths, out_dir, reserved=(DETECTIONS_FILE, IMAGE_IDS_FILE))
        num_classes = _num_classes(args.weights)
        class_names, note = model_setup.class_names_for(num_classes, args.class_names)
        if note and num_classes is not None and not args.quiet:
            print(f"mrcnn-tf detect: note: {note}", file=sys.stderr)
        class_ids = None
        if args.classes is not None:
            from mrcnn_tf.filtering import class_ids_for

            try:
                class_ids = class_ids_for(args.classes, class_names)
            except ValueError as err:
                raise SetupError(f"--classes: {err}") from None
        return cls(args, out_dir, paths, problems, stems, args.weights, num_classes,
                   class_names, class_ids)

    def setup_model(self) -> None:
        """Resolve (maybe download) the weights and build the model. Raises SetupError."""
        path = model_setup.resolve_weights(self.weights_spec, quiet=self.args.quiet)
        info = model_setup.weights_info(path)
        if info.num_classes != self.num_classes:
            raise SetupError(f"{os.fspath(path)!r} has NUM_CLASSES={info.num_classes}, "
                             f"expected {self.num_classes}")
        overrides = {"IMAGE_MAX_DIM": self.args.image_max_dim,
                     "IMAGE_MIN_DIM": min(self.args.image_min_dim, self.args.image_max_dim)}
        if self.args.min_score is not None:
            overrides["DETECTION_MIN_CONFIDENCE"] = self.args.min_score
        if not self.args.quiet:
            print(f"mrcnn-tf detect: weights {path} ({info.backbone}, {info.num_classes} "
                  "classes)", file=sys.stderr)
        self.model = model_setup.load_model(path, overrides)

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
            self.write_run_files()
        if not self.args.quiet:
            done = len(self.paths) - failed
            print(f"mrcnn-tf detect: {done} of {len(self.paths)} images processed in "
                  f"{time.monotonic() - start:.1f} s, {self.detection_count} detections, "
                  f"written to {self.out_dir}" + (f"; {failed} failed" if failed else ""),
                  file=sys.stderr)
        return failed

    def process_one(self, path, stem, image_id):
        """Detect in one image and write its outputs; returns a problem string or None."""
        try:
            image = image_io.read_image(path)
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

        result = filter_result(result, self.class_names, classes=self.class_ids,
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
                               visualize.draw_instances(image, result, self.class_names))
        if self.args.splash:
            image_io.write_png(out / f"{stem}.splash.png", visualize.color_splash(image, result))
        if self.args.extract:
            objects = out / f"{stem}_objects"
            for old in objects.glob("[0-9][0-9][0-9]*_*.png"):  # a previous run's cut-outs
                old.unlink()
            save_instances(extract_instances(image, result, self.class_names), objects)
        image_io.write_json(out / f"{stem}.json", results.to_record(
            result, self.class_names, image=os.fspath(path), image_id=image_id))
        self.coco_results += results.to_coco(result, image_id, self.class_names)
        self.image_ids[os.fspath(path)] = image_id

    def write_run_files(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        image_io.write_json(self.out_dir / DETECTIONS_FILE, self.coco_results)
        image_io.write_json(self.out_dir / IMAGE_IDS_FILE, self.image_ids)


def _num_classes(weights_spec):
    """NUM_CLASSES of the --weights file, read without loading the model (published weights
    need no download for this). Raises SetupError."""
    from mrcnn_tf.weights.fetch import PUBLISHED

    path = Path(weights_spec).expanduser()
    if not path.is_file() and str(weights_spec).lower() in PUBLISHED:
        return PUBLISHED[str(weights_spec).lower()].num_classes
    if not path.is_file():
        known = " or ".join(repr(n) for n in PUBLISHED)
        raise SetupError(f"--weights {weights_spec!r}: no such file (give a path to an .h5 "
                         f"file, or {known} to download published weights)")
    return model_setup.weights_info(path).num_classes
