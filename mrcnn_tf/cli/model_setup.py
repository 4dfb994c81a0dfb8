"""Model set-up for the CLI: weights (path or "coco"), class names, Config, the MaskRCNN.

A command adds the model options with ``arguments.add_model_arguments`` and turns the parsed
values into what it runs with:

- ``model_or_exported(args, ...)`` -> (model, ModelClasses): args.model's exported model
  (``load_exported``, no TensorFlow) or the weights' MaskRCNN (``model_from_args``);
- ``model_from_args(args, ...)`` -> (MaskRCNN, ModelClasses), or in two steps:
- ``choose_classes(args, ...)``: NUM_CLASSES, class names and --classes, checked without
  downloading the weights or building the model;
- ``load_from_args(args, ...)``: resolve (maybe download) the weights and build the model.

Every problem that stops the run is a SetupError with a one-line message.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import sys
from pathlib import Path

DEFAULT_DIMS = {"IMAGE_MAX_DIM": 1024, "IMAGE_MIN_DIM": 800}  # the parser's defaults


class SetupError(Exception):
    """A problem that stops the whole run (bad weights, class names, options)."""


def read_class_names(path, num_classes: int) -> list:
    """One class name a line (blank lines ignored), "BG" first. A file without the "BG" line
    but with NUM_CLASSES - 1 names gets "BG" prepended. The count must match NUM_CLASSES."""
    try:
        names = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as err:
        raise SetupError(f"--class-names {os.fspath(path)!r}: cannot read ({err})") from None
    names = [n for n in names if n]
    if len(names) == num_classes - 1 and names and names[0].lower() != "bg":
        names = ["BG"] + names
    if len(names) != num_classes:
        raise SetupError(f"--class-names {os.fspath(path)!r} has {len(names)} names but the "
                         f"weights have NUM_CLASSES={num_classes} (background \"BG\" included, "
                         "one name a line)")
    return names


def class_names_for(num_classes: int, path=None, *, carried=None,
                    family="matterport") -> tuple:
    """(class names, note or None): from the --class-names file, else the names the weights
    carry (a preset's, or a file's written by save_weights), else the family's default
    (class_names.default_class_names: COCO's for a COCO class count, else class_1, ...; the
    note says so then)."""
    from mrcnn_tf.class_names import default_class_names, generic_class_names

    if path is not None:
        return read_class_names(path, num_classes), None
    if carried is not None and len(carried) == num_classes:
        return list(carried), None
    names = list(default_class_names(num_classes, family))
    if names != list(generic_class_names(num_classes)):
        return names, None
    return names, (f"the weights have {num_classes} classes and no names, and no "
                   "--class-names file was given: classes are named class_1, class_2, ...")


def resolve_weights(spec: str, *, quiet: bool) -> Path:
    """--weights value to a local file: a path as it is, or a published name ("coco",
    "torchvision-v1", "torchvision-v2") downloaded into the cache on first use and verified
    (weights.fetch). Raises SetupError (the download's message says what to do next)."""
    from mrcnn_tf.weights.fetch import DownloadError, resolve_weights as resolve

    try:
        return resolve(spec, progress=not quiet)
    except (DownloadError, FileNotFoundError, ValueError, OSError) as err:
        raise SetupError(str(err)) from None


def weights_info(path: Path, *, backbone_given: bool = False):
    """What the weights file holds (its family's inspect). backbone_given: the backbone comes
    from --config (a file of a callable backbone does not name it). Raises SetupError."""
    from mrcnn_tf.families import family_for_file

    try:
        info = family_for_file(path).inspect(path)
    except (ValueError, OSError) as err:
        raise SetupError(str(err)) from None
    if info.num_classes is None:
        raise SetupError(f"{os.fspath(path)!r} does not look like Mask R-CNN weights "
                         f"(backbone {info.backbone}, NUM_CLASSES {info.num_classes})")
    if info.backbone is None and not backbone_given:
        raise SetupError(f"{os.fspath(path)!r}: the file does not name its backbone (trained "
                         "with a backbone function?); give it with --config FILE (BACKBONE: "
                         "file.py:function, as for mrcnn-tf train)")
    return info


@dataclasses.dataclass(frozen=True)
class WeightsClasses:
    """What a --weights value says of its classes: NUM_CLASSES, the family, and the names it
    carries (None when it carries none)."""

    num_classes: int
    family: str
    names: tuple | None


def weights_classes(spec) -> WeightsClasses:
    """The classes of the --weights value, read without building a model (published weights
    such as "coco" need no download for this). Raises SetupError."""
    from mrcnn_tf.weights.fetch import PUBLISHED, preset_named
    from mrcnn_tf.weights.h5file import read_class_names

    published = preset_named(spec)
    if published is not None:
        return WeightsClasses(published.num_classes, published.family, published.class_names)
    path = Path(os.fspath(spec)).expanduser()
    if not path.is_file():
        known = " or ".join(repr(n) for n in PUBLISHED)
        raise SetupError(f"--weights {os.fspath(spec)!r}: no such file (give a path to an .h5 "
                         f"file, or {known} to download published weights)")
    info = weights_info(path, backbone_given=True)  # only the classes are read here
    return WeightsClasses(info.num_classes, info.family, read_class_names(path))


def weights_num_classes(spec) -> int:
    """NUM_CLASSES of the --weights value (weights_classes). Raises SetupError."""
    return weights_classes(spec).num_classes


@dataclasses.dataclass(frozen=True)
class ModelClasses:
    """The classes of a run: names (list index = class id, "BG" first), the class ids
    --classes keeps (None: all), and the family of the weights (its name)."""

    names: list
    keep: list | None
    family: str = "matterport"

    @property
    def num_classes(self) -> int:
        return len(self.names)


def choose_classes(args, *, command: str, quiet: bool) -> ModelClasses:
    """Class names for args.weights and args.class_names, and args.classes (when the command
    has --classes) as class ids; no download, no model. A note goes to stderr (unless quiet)
    when the names are made up. Raises SetupError."""
    weights = weights_classes(args.weights)
    names, note = class_names_for(weights.num_classes, args.class_names, carried=weights.names,
                                  family=weights.family)
    if note and not quiet:
        print(f"mrcnn-tf {command}: note: {note}", file=sys.stderr)
    keep = kept_classes(args, names)
    return ModelClasses(names, keep, weights.family)


def kept_classes(args, names) -> list | None:
    """The class ids of args.classes (None when the command has no --classes or it is not
    given) among names. Raises SetupError."""
    if getattr(args, "classes", None) is None:
        return None
    from mrcnn_tf.filtering import class_ids_for

    try:
        return class_ids_for(args.classes, names)
    except ValueError as err:
        raise SetupError(f"--classes: {err}") from None


def load_exported(args):
    """(runtime model, ModelClasses) for args.model, an exported portable model (mrcnn-tf
    export --format onnx|openvino|litert; no TensorFlow). Raises SetupError with one line."""
    from mrcnn_tf.runtime import load

    try:
        model = load(args.model)
    except (ValueError, ImportError, OSError) as err:
        raise SetupError(f"--model: {err}") from None
    return model, _exported_classes(args, model.class_names)


def exported_classes(args):
    """ModelClasses of args.model's export, read from its folder without loading the model
    (for work that runs it elsewhere, e.g. on Beam's workers). Raises SetupError."""
    from mrcnn_tf.runtime.model import ExportFiles

    try:
        files = ExportFiles(args.model)
    except (ValueError, OSError) as err:
        raise SetupError(f"--model: {err}") from None
    return _exported_classes(args, files.class_names)


def _exported_classes(args, names) -> ModelClasses:
    """The export's class names (or --class-names') and the kept --classes."""
    names = list(names)
    if getattr(args, "class_names", None):
        names = list(class_names_for(len(names), args.class_names)[0])
    return ModelClasses(names, kept_classes(args, names))


def config_overrides(args, family: str = "matterport") -> dict:
    """Config fields set by the model options: IMAGE_MAX_DIM, IMAGE_MIN_DIM (at most
    IMAGE_MAX_DIM), DETECTION_MIN_CONFIDENCE from args.min_score unless it is None, and the
    family's fast_mode with --fast. A family that keeps its own sizes (torchvision's 800 /
    1333) keeps them unless an --image-*-dim other than the default is given."""
    from mrcnn_tf.families import family_named

    model_family = family_named(family)
    overrides = {"IMAGE_MAX_DIM": args.image_max_dim,
                 "IMAGE_MIN_DIM": min(args.image_min_dim, args.image_max_dim)}
    if model_family.cli_keeps_own_sizes:
        overrides = {k: v for k, v in overrides.items() if v != DEFAULT_DIMS[k]}
    if getattr(args, "min_score", None) is not None:
        overrides["DETECTION_MIN_CONFIDENCE"] = args.min_score
    if getattr(args, "fast", False):
        overrides.update(model_family.fast_mode)
    return overrides


def load_from_args(args, *, command: str, quiet: bool, num_classes: int | None = None,
                   **config):
    """The MaskRCNN for args.weights (downloaded on first use; progress and a "weights ..."
    line on stderr unless quiet) with config_overrides(args) and the Config fields in config.
    num_classes: what the file must have (as choose_classes found). Raises SetupError."""
    path = resolve_weights(args.weights, quiet=quiet)
    from_file = config_file_fields(getattr(args, "config", None))
    info = weights_info(path, backbone_given="BACKBONE" in from_file)
    if num_classes is not None and info.num_classes != num_classes:
        raise SetupError(f"{os.fspath(path)!r} has NUM_CLASSES={info.num_classes}, "
                         f"expected {num_classes}")
    if not quiet:
        backbone = info.backbone or getattr(from_file["BACKBONE"], "__name__", "?")
        print(f"mrcnn-tf {command}: weights {path} ({backbone}, {info.num_classes} "
              "classes)", file=sys.stderr)
    options = config_overrides(args, info.family)
    options = {k: v for k, v in options.items()  # the file's sizes unless asked otherwise
               if not (k in from_file and v == DEFAULT_DIMS.get(k))}
    return load_model(path, {**from_file, **options, **config})


def config_file_fields(path) -> dict:
    """Config fields of a --config file (YAML or JSON; None: none), BACKBONE resolved
    ("file.py:function" relative to the file's folder, or "module:function"), as
    ``mrcnn-tf train --config`` reads them. Raises SetupError."""
    if path is None:
        return {}
    from mrcnn_tf.training_job import load_config_file, resolve_backbone

    try:
        fields = load_config_file(path)
        if "BACKBONE" in fields:
            fields["BACKBONE"] = resolve_backbone(fields["BACKBONE"], Path(path).parent)
    except (OSError, ValueError) as err:
        raise SetupError(f"--config {path}: {err}" if str(path) not in str(err)
                         else str(err)) from None
    return fields


def model_from_args(args, *, command: str, quiet: bool, **config) -> tuple:
    """(MaskRCNN, ModelClasses) from the model options: choose_classes then load_from_args.
    Raises SetupError."""
    classes = choose_classes(args, command=command, quiet=quiet)
    model = load_from_args(args, command=command, quiet=quiet,
                           num_classes=classes.num_classes, **config)
    model.class_names = classes.names
    return model, classes


def model_or_exported(args, *, command: str, quiet: bool) -> tuple:
    """(model, ModelClasses): the exported model args.model (load_exported) when given, else
    the MaskRCNN of the weights (model_from_args). Either has ``config``, ``class_names`` and
    ``detect``. Raises SetupError."""
    if getattr(args, "model", None):
        model, classes = load_exported(args)
        model.class_names = classes.names
        if not quiet:
            print(f"mrcnn-tf {command}: model {model.path} ({model.kind}, "
                  f"{len(classes.names)} classes)", file=sys.stderr)
        return model, classes
    return model_from_args(args, command=command, quiet=quiet)


def load_model(path: Path, overrides: dict):
    """A MaskRCNN for the weights file with the config overrides (one model is kept per
    process, reused while the file and the overrides are unchanged)."""
    stat = path.stat()
    return _cached_model(str(path.resolve()), stat.st_mtime_ns, stat.st_size,
                         tuple(sorted((k, _hashable(v)) for k, v in overrides.items())))


def _hashable(value):
    """Lists (a --config file's) as tuples, so the overrides can key the model cache."""
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


@functools.lru_cache(maxsize=1)
def _cached_model(path, mtime_ns, size, overrides):
    del mtime_ns, size  # part of the cache key only
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from mrcnn_tf.model import MaskRCNN

    try:
        return MaskRCNN.from_weights(path, **{"NAME": "mrcnn_tf_cli", **dict(overrides),
                                              "IMAGES_PER_GPU": 1})
    except (ValueError, OSError) as err:
        raise SetupError(str(err)) from None
