"""A whole training run from COCO-format data (what ``mrcnn-tf train`` does), without argparse.

    options = RunOptions(data="train.json:images", weights="none", out="runs/shapes", ...)
    data = load_run_data(options)       # DataError (one line) before any model is built
    summary = run_training(options, data)

The run's folder (``out``)::

    checkpoints/epoch_0001.h5 ...   one a epoch (the last ``keep`` kept), the model's weights
                                    with the class names (HDF5, save_weights' layout)
    checkpoints/best.h5             the epoch with the lowest validation loss (training loss
                                    without --val)
    final.h5                        the weights after the last epoch, with the class names
    logs/                           TensorBoard
    backup/<task>/                  keras.callbacks.BackupAndRestore: weights, optimizer and
                                    epoch of the last finished epoch (resume, restarted workers)
    run.json                        the options, the class names and the summary

Classes are the annotation file's ``categories`` (in id order, "BG" first). Weights: "none"
(from scratch), "coco" / "torchvision-v1" / "torchvision-v2" (weights.fetch: downloaded once,
verified), or a file (matterport HDF5, torchvision state dict, or a checkpoint of this
command); the class-specific layers start afresh when the class count differs.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import logging
import math
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from mrcnn_tf.data.coco_dataset import CocoDataset

logger = logging.getLogger(__name__)

PRESET_WEIGHTS = ("coco", "torchvision-v1", "torchvision-v2")
LAYERS = ("heads", "3+", "4+", "5+", "all")
CHECKPOINT_NAME = "epoch_{epoch:04d}.h5"


class DataError(ValueError):
    """Training data that cannot be used at all (a one-line reason)."""


@dataclasses.dataclass
class RunOptions:
    data: str                       # ANNOTATIONS.json:IMAGES_DIR
    out: str
    val: str | None = None
    weights: str = "none"
    layers: str | None = None       # default: "all" from scratch, else "heads"
    epochs: int = 10
    lr: float | None = None         # default: LEARNING_RATE x replicas (linear rule)
    batch_size: int = 2             # images per replica
    image_size: int = 512
    resume: bool = False
    config: dict = dataclasses.field(default_factory=dict)  # Config fields
    config_dir: str | None = None   # where a BACKBONE "file.py:function" is found
    strategy: str = "default"
    steps_per_epoch: int | None = None  # default: one pass over the training images
    optimizer: str | None = None    # default: adam from scratch, else sgd
    keep: int = 3
    lr_drops: tuple | None = None   # epochs (1-based) from which lr is a tenth, a hundredth..
    seed: int = 0
    augment: bool = True
    verbose: int = 1
    name: str = "train"


@dataclasses.dataclass
class SplitData:
    dataset: CocoDataset
    annotations: str
    images: str
    with_instances: int = 0

    @property
    def image_count(self) -> int:
        return len(self.dataset.image_ids)


@dataclasses.dataclass
class RunData:
    train: SplitData
    val: SplitData | None
    class_names: tuple


# ---------------------------------------------------------------- data

def parse_data_spec(spec, what="--data") -> tuple:
    """"ANNOTATIONS.json:IMAGES_DIR" -> (annotations, images); DataError when malformed."""
    annotations, sep, images = str(spec).rpartition(":")
    if not sep or not annotations or not images:
        raise DataError(f"{what} {spec!r}: expected ANNOTATIONS.json:IMAGES_DIR")
    return annotations, images


def _read_categories(annotations, what) -> list:
    if not os.path.isfile(annotations):
        raise DataError(f"{what}: annotation file {annotations!r} does not exist")
    try:
        with open(annotations, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise DataError(f"{what}: {annotations!r} is not valid JSON (line {err.lineno}, "
                        f"column {err.colno}: {err.msg})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{what}: cannot read {annotations!r} ({err})") from None
    if not isinstance(data, dict):
        raise DataError(f"{what}: {annotations!r} is not a COCO annotation file (no object "
                        "with images, annotations and categories)")
    categories = data.get("categories")
    if not isinstance(categories, list) or not categories:
        raise DataError(f"{what}: {annotations!r} lists no categories: nothing to train")
    if any(not isinstance(c, dict) or "id" not in c or "name" not in c for c in categories):
        raise DataError(f"{what}: {annotations!r}: every category needs an id and a name")
    if not isinstance(data.get("images"), list) or not data["images"]:
        raise DataError(f"{what}: {annotations!r} lists no images")
    return sorted(categories, key=lambda c: c["id"])


def load_split(spec, what="--data", class_ids=None) -> SplitData:
    """A CocoDataset of "ANN.json:DIR" with bad entries skipped and counted; DataError when the
    file is unusable or no image with an annotation is left."""
    annotations, images = parse_data_spec(spec, what)
    _read_categories(annotations, what)
    if not os.path.isdir(images):
        raise DataError(f"{what}: image folder {images!r} does not exist")
    dataset = CocoDataset()
    loader_log = logging.getLogger("mrcnn_tf.data.coco_dataset")
    level = loader_log.level
    loader_log.setLevel(logging.ERROR)  # each bad entry is summarized, not logged
    try:
        dataset.load_coco(annotations, images, class_ids=class_ids, strict_boxes=True,
                          skip_crowd=True, check_images=True)
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"{what}: {annotations!r} is not a usable COCO file ({err})") from None
    finally:
        loader_log.setLevel(level)
    dataset.prepare()
    with_instances = sum(1 for info in dataset.image_info if info["annotations"])
    without = [os.path.basename(info["path"]) for info in dataset.image_info
               if not info["annotations"]]
    if without:
        dataset.skipped.setdefault("no usable annotation (image not trained on)", []).extend(
            without)
    if not with_instances:
        raise DataError(f"{what}: no image of {annotations!r} in {images!r} has a usable "
                        f"annotation ({_first_reasons(dataset.skipped)})")
    return SplitData(dataset, annotations, images, with_instances)


def _first_reasons(skipped) -> str:
    if not skipped:
        return "the file has no annotations"
    return "; ".join(f"{len(v)} {k}" for k, v in skipped.items())


def load_run_data(options: RunOptions) -> RunData:
    """The training and validation data; DataError before any model is built."""
    train = load_split(options.data, "--data")
    class_names = tuple(train.dataset.class_names)
    val = None
    if options.val:
        categories = [c["id"] for c in _read_categories(parse_data_spec(options.val, "--val")[0],
                                                          "--val")]
        train_ids = [info["id"] for info in train.dataset.class_info[1:]]
        if sorted(categories) != sorted(train_ids):
            raise DataError(f"--val: its categories {sorted(categories)} are not --data's "
                            f"{sorted(train_ids)}")
        val = load_split(options.val, "--val")
    return RunData(train, val, class_names)


# ---------------------------------------------------------------- config and weights

def resolve_backbone(value, config_dir):
    """A BACKBONE given as "module:function" or "file.py:function" (relative to the config
    file's folder) -> the function; names and callables as they are."""
    if not isinstance(value, str) or ":" not in value:
        return value
    target, _, attribute = value.rpartition(":")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_absolute() and config_dir:
            path = Path(config_dir) / path
        if not path.is_file():
            raise ValueError(f"BACKBONE {value!r}: {str(path)!r} does not exist")
        spec = importlib.util.spec_from_file_location(f"mrcnn_tf_user_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"BACKBONE {value!r}: {target} has no {attribute!r}") from None


def load_config_file(path) -> dict:
    """Config fields from a YAML (.yaml/.yml) or JSON file: {FIELD: value}. ValueError with
    one line when it cannot be read."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).lower().endswith((".yaml", ".yml")):
        import yaml

        try:
            fields = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ValueError(f"--config {path}: not valid YAML ({str(err).splitlines()[0]})") \
                from None
    else:
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"--config {path}: not valid JSON ({err})") from None
    if fields is None:
        return {}
    if not isinstance(fields, dict) or any(not isinstance(k, str) for k in fields):
        raise ValueError(f"--config {path}: expected a mapping of Config fields (NAME: value)")
    return fields


@dataclasses.dataclass
class StartWeights:
    path: Path | None        # None: from scratch
    family: str              # the family's name (families.family_for_file)
    config_fields: dict      # ARCHITECTURE / BACKBONE the file needs
    num_classes: int | None  # the file's class count (None: not known)


def start_weights(weights) -> StartWeights:
    """Where training starts. "none": from scratch (matterport's family); a preset:
    downloaded (weights.fetch); a file: as it is. Raises ValueError (one line) for
    "imagenet" and unknown names, FileNotFoundError, weights.fetch.DownloadError."""
    if weights == "none":
        return StartWeights(None, "matterport", {}, None)
    if weights == "imagenet":
        raise ValueError("--weights imagenet: this package has no ImageNet backbone file to "
                         "download (matterport's Keras 2 ResNet files are not published for "
                         "Keras 3); give a backbone weights file (PATH), a preset "
                         f"({', '.join(PRESET_WEIGHTS)}) or none")
    from mrcnn_tf.weights.fetch import resolve_weights

    return _file_weights(resolve_weights(weights))


def _file_weights(path) -> StartWeights:
    """The family of the weights file, the architecture (and named backbone) it needs, and
    its class count, as its family reads them."""
    from mrcnn_tf.families import family_for_file

    family = family_for_file(path)
    info = family.inspect(path)
    fields = {}
    if info.backbone is not None:  # a file of a callable backbone does not name it
        config = family.config_for_file(path)
        fields = {"ARCHITECTURE": config.ARCHITECTURE, "BACKBONE": config.BACKBONE}
    return StartWeights(path, family.name, fields, info.num_classes)


DEFAULT_FIELDS = dict(DETECTION_MIN_CONFIDENCE=0.5)


def make_config(options: RunOptions, num_classes, start: StartWeights, *, replicas=1,
                steps_per_epoch=1, validation_steps=0):
    """The training Config (the start weights' family's Config class): the defaults here,
    then the --config file's fields, then the command's own (image size, batch, classes,
    steps). From scratch the backbone is ResNet-50 unless the --config file names one."""
    from mrcnn_tf.families import family_for_architecture, family_named

    fields = dict(DEFAULT_FIELDS)
    fields.update(start.config_fields)
    fields.update(options.config)
    if start.path is None:
        fields.setdefault("BACKBONE", "resnet50")
    if "BACKBONE" in fields:
        fields["BACKBONE"] = resolve_backbone(fields["BACKBONE"], options.config_dir)
    fields.update(NAME=fields.get("NAME", options.name), NUM_CLASSES=num_classes,
                  IMAGES_PER_GPU=options.batch_size, IMAGE_MIN_DIM=options.image_size,
                  IMAGE_MAX_DIM=options.image_size, STEPS_PER_EPOCH=steps_per_epoch,
                  VALIDATION_STEPS=validation_steps)
    family = (family_for_architecture(fields["ARCHITECTURE"]) if "ARCHITECTURE" in fields
              else family_named(start.family))
    return family.config_class(**fields)


def class_specific_layers(family_name) -> list:
    from mrcnn_tf.families import family_named

    return list(family_named(family_name).class_specific_layers)


def _callbacks_base():
    import keras
    return keras.callbacks.Callback


def make_keep_checkpoints(checkpoints_dir, keep, monitor_val, chief):
    """A callback keeping the last ``keep`` epoch checkpoints and copying the best one (lowest
    val_loss, or loss) to best.h5; runs after SaveCheckpoint."""
    Callback = _callbacks_base()

    class KeepCheckpoints(Callback):
        def __init__(self):
            super().__init__()
            self.best = math.inf
            self.best_epoch = None
            self.monitor = "val_loss" if monitor_val else "loss"
            state = Path(checkpoints_dir) / "best.json"
            if state.is_file():
                saved = json.loads(state.read_text())
                self.best, self.best_epoch = saved["value"], saved["epoch"]

        def on_epoch_end(self, epoch, logs=None):
            if not chief:
                return
            folder = Path(checkpoints_dir)
            value = float((logs or {}).get(self.monitor, math.inf))
            current = folder / CHECKPOINT_NAME.format(epoch=epoch + 1)
            if current.is_file() and value < self.best:
                self.best, self.best_epoch = value, epoch + 1
                shutil.copyfile(current, folder / "best.tmp")
                os.replace(folder / "best.tmp", folder / "best.h5")
                (folder / "best.json").write_text(json.dumps(
                    {"epoch": self.best_epoch, "value": value, "monitor": self.monitor}))
            epochs = sorted(folder.glob("epoch_*.h5"))
            for old in epochs[:-keep] if keep > 0 else []:
                old.unlink(missing_ok=True)

    return KeepCheckpoints()


def default_lr_drops(epochs) -> tuple:
    """One drop to a tenth for the last third of the epochs (none for fewer than 3)."""
    return (int(round(epochs * 2 / 3)) + 1,) if epochs >= 3 else ()


def make_lr_schedule(base, drops):
    """Set the optimizer's learning rate at each epoch's start: base x 0.1 per drop passed."""
    Callback = _callbacks_base()

    class StepDrops(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            rate = base * 0.1 ** sum(1 for d in drops if epoch + 1 >= d)
            self.model.optimizer.learning_rate.assign(rate)

    return StepDrops()


def make_step_timer():
    Callback = _callbacks_base()

    class StepTimer(Callback):
        def __init__(self):
            super().__init__()
            self.times, self._start = [], None

        def on_train_batch_begin(self, batch, logs=None):
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            if self._start is not None:
                self.times.append(time.perf_counter() - self._start)

    return StepTimer()


# ---------------------------------------------------------------- the run

def _backup_dir(out, strategy) -> Path:
    from mrcnn_tf.training.strategy import task_of

    task_type, task_id = task_of(strategy)
    return Path(out) / "backup" / (f"{task_type}_{task_id}" if task_type else "local")


def has_run(out) -> bool:
    out = Path(out)
    return (out / "backup").is_dir() or any((out / "checkpoints").glob("epoch_*.h5"))


def newest_checkpoint(out) -> Path | None:
    found = sorted((Path(out) / "checkpoints").glob("epoch_*.h5"))
    return found[-1] if found else None


def _epoch_of(path) -> int:
    return int(Path(path).stem.split("_")[-1])


@dataclasses.dataclass
class RunPlan:
    start: StartWeights
    config: object
    steps: int
    val_steps: int


def plan_run(options: RunOptions, data: RunData, replicas=1) -> RunPlan:
    """The starting weights (downloaded if a preset) and the training Config; ValueError /
    FileNotFoundError (one line) when they cannot be had, before any model is built."""
    global_batch = options.batch_size * replicas
    steps = options.steps_per_epoch or max(1, math.ceil(data.train.with_instances / global_batch))
    val_steps = 0
    if data.val is not None:
        val_steps = min(50, max(1, math.ceil(data.val.with_instances / global_batch)))
    start = start_weights(options.weights)
    config = make_config(options, len(data.class_names), start, replicas=replicas,
                         steps_per_epoch=steps, validation_steps=val_steps)
    return RunPlan(start, config, steps, val_steps)


def run_training(options: RunOptions, data: RunData, *, model_class, strategy=None,
                 plan=None, say=print) -> dict:
    """Train, evaluate on --val, write the run's folder; returns the summary dict.
    model_class: mrcnn_tf.model.MaskRCNN (handed in: this floor does not import the model)."""
    import keras

    MaskRCNN = model_class
    from mrcnn_tf.training.augmentation import HorizontalFlip, Sequential
    from mrcnn_tf.training.strategy import is_chief, make_strategy

    started = time.monotonic()
    strategy = strategy or make_strategy(options.strategy)
    replicas = strategy.num_replicas_in_sync
    chief = is_chief(strategy)
    out = Path(options.out)
    plan = plan or plan_run(options, data, replicas)
    start, config, steps = plan.start, plan.config, plan.steps
    global_batch = options.batch_size * replicas
    num_classes = len(data.class_names)
    layers = options.layers or ("all" if start.path is None else "heads")
    optimizer = options.optimizer or ("adam" if start.path is None else "sgd")
    if options.lr is not None:
        lr, lr_note = options.lr, "given"
    else:
        lr = config.LEARNING_RATE * replicas
        lr_note = f"LEARNING_RATE {config.LEARNING_RATE:g} x {replicas} replica(s), linear rule"

    keras.utils.set_random_seed(options.seed)  # the same initial weights on every run
    model = MaskRCNN(mode="training", config=config, model_dir=str(out), strategy=strategy,
                     class_names=list(data.class_names))
    checkpoints_dir = out / "checkpoints"
    resumed_from = None
    backup = _backup_dir(out, strategy)
    metadata = backup / "training_metadata.json"
    if metadata.is_file():  # --resume, or a restarted worker: BackupAndRestore restores it
        model.epoch = int(json.loads(metadata.read_text()).get("epoch", 0))
        resumed_from = f"{backup} (weights, optimizer and epoch of BackupAndRestore)"
    elif options.resume and newest_checkpoint(out) is not None:
        newest = newest_checkpoint(out)
        with strategy.scope():
            model.load_weights(str(newest))
        model.epoch = _epoch_of(newest)
        resumed_from = f"{newest} (weights and epoch; no optimizer backup found)"
    elif start.path is not None:
        differs = start.num_classes != num_classes
        exclude = class_specific_layers(start.family) if differs else None
        with strategy.scope():
            model.load_weights(str(start.path), exclude=exclude, strict=start.num_classes
                               is not None)
        if differs:
            say(f"heads re-initialized: {options.weights} has "
                f"{start.num_classes if start.num_classes is not None else 'an unknown count of'}"
                f" classes, the data {num_classes} (BG + {num_classes - 1}); "
                f"{', '.join(exclude)} start afresh")
    model.class_names = list(data.class_names)
    model.log_dir = str(out / "logs")
    model.checkpoint_path = str(checkpoints_dir / CHECKPOINT_NAME)
    if chief:
        checkpoints_dir.mkdir(parents=True, exist_ok=True)

    augmentation = None
    if options.augment:
        augmentation = Sequential([HorizontalFlip(0.5)])
    timer = make_step_timer()
    drops = tuple(options.lr_drops) if options.lr_drops is not None else \
        default_lr_drops(options.epochs)
    callbacks = [make_lr_schedule(lr, drops),
                 make_keep_checkpoints(checkpoints_dir, options.keep, data.val is not None,
                                       chief),
                 keras.callbacks.BackupAndRestore(str(backup), save_freq="epoch",
                                                  delete_checkpoint=False),
                 timer]
    say(f"training {config.NAME}: {data.train.with_instances} images with annotations, "
        f"{num_classes - 1} classes, {layers} layers, {optimizer} lr {lr:g} ({lr_note}"
        f"{'; a tenth from epoch ' + ', '.join(map(str, drops)) if drops else ''}), "
        f"batch {options.batch_size} x {replicas} replica(s) = {global_batch}, {steps} steps "
        f"an epoch, epochs {model.epoch + 1}-{options.epochs}"
        + (f"; resuming from {resumed_from}" if resumed_from else ""))
    history = model.train(data.train.dataset, data.val.dataset if data.val else None,
                          learning_rate=lr, epochs=options.epochs, layers=layers,
                          augmentation=augmentation, custom_callbacks=callbacks,
                          verbose=options.verbose if chief else 0, seed=options.seed,
                          optimizer=optimizer)
    final = out / "final.h5"
    if chief:
        from mrcnn_tf.weights import hdf5

        hdf5.save_weights(model.keras_model, str(final), class_names=list(data.class_names))
    train_seconds = time.monotonic() - started

    losses = {k: float(v[-1]) for k, v in history.history.items()} if history.history else {}
    evaluation = None
    if data.val is not None and chief:
        try:
            evaluation = evaluate_run(model_class, config, str(final), data.val.dataset,
                                      data.class_names)
        except Exception as err:  # noqa: BLE001 - the trained model is saved; say why, go on
            say(f"evaluation on --val failed ({type(err).__name__}: {err}); the model is "
                f"saved: mrcnn-tf evaluate --weights {final} ...")
    summary = {
        "data": summarize_split(data.train),
        "val": summarize_split(data.val) if data.val else None,
        "classes": list(data.class_names),
        "epochs": options.epochs, "last_epoch": model.epoch,
        "steps_per_epoch": steps, "global_batch": global_batch, "replicas": replicas,
        "learning_rate": lr, "optimizer": optimizer, "layers": layers,
        "seconds_per_step": float(np.median(timer.times)) if timer.times else None,
        "steps_run": len(timer.times),
        "train_minutes": train_seconds / 60,
        "losses": losses, "evaluation": evaluation,
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
        "first_epoch": history.epoch[0] + 1 if history.epoch else None,
        "out": str(out), "final": str(final), "checkpoints": str(checkpoints_dir),
        "logs": str(out / "logs"), "best": str(checkpoints_dir / "best.h5"),
        "resumed_from": resumed_from,
    }
    if chief:
        (out / "step_times.json").write_text(json.dumps([round(t, 5) for t in timer.times]))
        (out / "run.json").write_text(json.dumps(
            {"options": {k: v for k, v in dataclasses.asdict(options).items() if k != "config"},
             "config_fields": {k: str(v) for k, v in options.config.items()},
             "summary": summary}, indent=2, default=str))
    return summary


def summarize_split(split: SplitData) -> dict:
    skipped = split.dataset.skipped
    return {"annotations": split.annotations, "images_dir": split.images,
            "images": split.image_count, "images_used": split.with_instances,
            "skipped": {reason: {"count": len(names), "first": names[:3]}
                        for reason, names in skipped.items()}}


def evaluate_run(model_class, config, weights, dataset, class_names) -> dict:
    """Mask mAP@0.5 (matterport's compute_ap, averaged over the images) and COCO AP of the
    final weights on a prepared dataset; model_class: mrcnn_tf.model.MaskRCNN."""
    from mrcnn_tf.evaluation.coco import evaluate_coco
    from mrcnn_tf.evaluation.metrics import compute_ap

    MaskRCNN = model_class
    from mrcnn_tf.ops.boxes import extract_bboxes

    fields = {k: getattr(config, k) for k in config.field_names()}
    fields.update(IMAGES_PER_GPU=1, GPU_COUNT=1)
    inference_config = type(config)(**fields)
    model = MaskRCNN(mode="inference", config=inference_config, class_names=list(class_names))
    model.load_weights(weights)
    aps = []
    for image_id in dataset.image_ids:
        masks, class_ids = dataset.load_mask(image_id)
        keep = class_ids > 0
        masks, class_ids = masks[..., keep], class_ids[keep]
        if not len(class_ids):
            continue
        r = model.detect([dataset.load_image(image_id)])[0]
        aps.append(compute_ap(extract_bboxes(masks), class_ids, masks, r["rois"],
                              r["class_ids"], r["scores"], r["masks"], iou_threshold=0.5)[0])
    coco = evaluate_coco(model, dataset, progress=False)
    return {"mask_map50": float(np.mean(aps)) if aps else None, "images": len(aps),
            "segm_AP": coco["segm"]["AP"], "segm_AP50": coco["segm"]["AP50"],
            "bbox_AP": coco["bbox"]["AP"], "bbox_AP50": coco["bbox"]["AP50"]}

