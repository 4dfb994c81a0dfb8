"""``mrcnn-tf train``: train Mask R-CNN on COCO-format data, on one machine or many."""
from __future__ import annotations

import argparse
import os
import sys

from mrcnn_tf.cli.arguments import (describe_command, image_dim, non_negative_int, positive_float,
                                    positive_int)

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
LAYERS = ("heads", "3+", "4+", "5+", "all")

EPILOG = """\
examples:
  mrcnn-tf train --data train.json:train/ --val val.json:val/ --weights coco --out runs/mine
  mrcnn-tf train --data shapes/train.json:shapes/train --weights none --layers all \\
      --image-size 128 --batch-size 4 --epochs 30 --config samples/shapes/train_config.yaml \\
      --out runs/shapes
  mrcnn-tf train ... --out runs/mine --resume          # continue the newest epoch

The classes are the annotation file's categories; they are saved with every checkpoint and
final.h5, so `mrcnn-tf detect --weights OUT/final.h5` names them. OUT holds checkpoints/
(one an epoch, the last --keep kept, best.h5), logs/ (TensorBoard), final.h5 and run.json.
Bad annotations and images are skipped and counted; a file that cannot be used at all is one
line and exit status 2. With TF_CONFIG set (or --strategy multiworker) every worker runs the
same command: see docs/training.md."""


def _data_spec(text):
    annotations, sep, images = str(text).rpartition(":")
    if not sep or not annotations or not images:
        raise argparse.ArgumentTypeError(f"{text!r} is not ANNOTATIONS.json:IMAGES_DIR")
    return text


def _epochs_list(text):
    if str(text).strip().lower() == "none":
        return ()
    try:
        return tuple(positive_int(part) for part in str(text).split(","))
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    describe_command(parser, description="Train Mask R-CNN on COCO-format annotations "
                                         "(either model family), on one machine or many.",
                     epilog=EPILOG)
    parser.add_argument("--data", required=True, type=_data_spec, metavar="ANN.json:DIR",
                        help="training annotations (COCO JSON) and their image folder")
    parser.add_argument("--val", type=_data_spec, metavar="ANN.json:DIR",
                        help="validation data: validation loss each epoch (picks best.h5) and "
                             "mask mAP@0.5 / COCO AP at the end")
    parser.add_argument("--weights", default="none", metavar="NAME|PATH",
                        help="starting weights: coco, torchvision-v1, torchvision-v2 "
                             "(downloaded once), imagenet, none (from scratch; default) or a "
                             "weights file; heads start afresh when the class count differs")
    parser.add_argument("--layers", choices=LAYERS,
                        help="layers to train (default: all from scratch, heads otherwise)")
    parser.add_argument("--epochs", type=positive_int, default=10, metavar="N",
                        help="train up to epoch N (default 10)")
    parser.add_argument("--lr", type=positive_float, metavar="X",
                        help="learning rate (default: the config's LEARNING_RATE, 0.001, "
                             "times the number of replicas)")
    parser.add_argument("--lr-drops", type=_epochs_list, metavar="E1,E2",
                        help="epochs from which the learning rate is a tenth (then a "
                             "hundredth, ...); default: the last third of --epochs; 'none'")
    parser.add_argument("--batch-size", type=positive_int, default=2, metavar="N",
                        help="images a step on each replica (default 2); the global batch is "
                             "N x replicas")
    parser.add_argument("--image-size", type=image_dim, default=512, metavar="N",
                        help="images are resized to fit N x N (a multiple of 64; default 512)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="the run's folder: checkpoints/, logs/, final.h5, run.json")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished epoch "
                             "(weights, optimizer state, epoch)")
    parser.add_argument("--config", metavar="FILE",
                        help="Config fields (YAML or JSON), e.g. RPN_ANCHOR_SCALES, "
                             "TRAIN_ROIS_PER_IMAGE, BACKBONE (a name, or file.py:function "
                             "relative to FILE)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="default",
                        help="tf.distribute strategy (default: one device, or "
                             "MultiWorkerMirroredStrategy when TF_CONFIG is set)")
    parser.add_argument("--steps-per-epoch", type=positive_int, metavar="N",
                        help="steps an epoch (default: one pass over the training images)")
    parser.add_argument("--optimizer", choices=("sgd", "adam"),
                        help="default: adam from scratch, sgd (matterport's) otherwise")
    parser.add_argument("--keep", type=non_negative_int, default=3, metavar="K",
                        help="epoch checkpoints kept (default 3; 0 keeps all)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the input order and augmentation (default 0)")
    parser.add_argument("--no-augment", action="store_true",
                        help="no horizontal flips")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _fail(message) -> int:
    print(f"mrcnn-tf train: error: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ notices
    from mrcnn_tf.training_job import (DataError, RunOptions, has_run, load_config_file,
                                       load_run_data, plan_run)

    fields, config_dir = {}, None
    if args.config:
        if not os.path.isfile(args.config):
            return _fail(f"--config {args.config}: no such file")
        try:
            fields = load_config_file(args.config)
        except (ValueError, OSError) as err:
            return _fail(str(err))
        config_dir = os.path.dirname(os.path.abspath(args.config))
        from mrcnn_tf.config import Config

        unknown = [k for k in fields if k not in Config.field_names()]
        if unknown:
            return _fail(f"--config {args.config}: unknown Config field(s) {', '.join(unknown)}")
    if args.weights not in ("none", "imagenet", "coco", "torchvision-v1", "torchvision-v2") \
            and not os.path.isfile(args.weights):
        return _fail(f"--weights {args.weights!r}: no such file (give a weights file, coco, "
                     "torchvision-v1, torchvision-v2, imagenet or none)")
    if args.resume and not has_run(args.out):
        return _fail(f"--resume: {args.out!r} has no run to continue (no checkpoints/ or "
                     "backup/)")
    from mrcnn_tf.training.strategy import resolved_name

    try:
        multiworker = resolved_name(args.strategy) == "multiworker"
    except ValueError as err:  # a malformed TF_CONFIG
        return _fail(str(err))
    # a restarted worker of a cluster runs the same command again: its backup resumes it
    if not args.resume and has_run(args.out) and not multiworker:
        return _fail(f"--out {args.out!r} already holds a run: add --resume to continue it, or "
                     "choose another folder")
    options = RunOptions(data=args.data, val=args.val, weights=args.weights, layers=args.layers,
                         epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                         image_size=args.image_size, out=args.out, resume=args.resume,
                         config=fields, config_dir=config_dir, strategy=args.strategy,
                         steps_per_epoch=args.steps_per_epoch, optimizer=args.optimizer,
                         keep=args.keep, lr_drops=args.lr_drops, seed=args.seed, augment=not args.no_augment,
                         verbose=0 if args.quiet else 1,
                         name=str(fields.get("NAME") or "train"))
    try:
        data = load_run_data(options)
    except DataError as err:
        return _fail(str(err))
    print(data_report(data))

    from mrcnn_tf.training.strategy import make_strategy

    try:
        strategy = make_strategy(options.strategy)
    except ValueError as err:
        return _fail(str(err))
    from mrcnn_tf.weights.fetch import DownloadError

    try:
        plan = plan_run(options, data, strategy.num_replicas_in_sync)
    except (ValueError, FileNotFoundError) as err:
        return _fail(str(err).splitlines()[0])
    except DownloadError as err:
        print(f"mrcnn-tf train: {str(err).splitlines()[0]}", file=sys.stderr)
        return 1

    from mrcnn_tf.model import MaskRCNN
    from mrcnn_tf.training_job import run_training

    summary = run_training(options, data, model_class=MaskRCNN, strategy=strategy, plan=plan)
    from mrcnn_tf.training.strategy import is_chief

    if is_chief(strategy):
        print(summary_report(summary))
    return 0


def _skipped_lines(split) -> list:
    lines = []
    for reason, names in split.dataset.skipped.items():
        first = ", ".join(str(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
        lines.append(f"    {len(names):6d}  {reason}: {first}")
    return lines


def data_report(data) -> str:
    lines = []
    for what, split in (("train", data.train), ("val", data.val)):
        if split is None:
            continue
        lines.append(f"{what}: {split.with_instances} of {split.image_count} images used "
                     f"({split.annotations})")
        skipped = _skipped_lines(split)
        if skipped:
            lines.append("  skipped:")
            lines.extend(skipped)
    lines.append(f"classes: {', '.join(data.class_names[1:])}")
    return "\n".join(lines)


def summary_report(summary) -> str:
    rule = "-" * 72
    data = summary["data"]
    lines = [rule, "mrcnn-tf train: done",
             f"  images used    {data['images_used']} of {data['images']} (train)"
             + (f", {summary['val']['images_used']} of {summary['val']['images']} (val)"
                if summary["val"] else "")]
    for split_name in ("data", "val"):
        split = summary[split_name]
        for reason, entry in (split or {}).get("skipped", {}).items():
            first = ", ".join(str(n) for n in entry["first"])
            lines.append(f"  skipped        {entry['count']} {reason} ({first}"
                         f"{', ...' if entry['count'] > 3 else ''})")
    step = summary["seconds_per_step"]
    lines += [f"  epochs         up to {summary['last_epoch']} of {summary['epochs']}, "
              f"{summary['steps_per_epoch']} steps each, global batch {summary['global_batch']} "
              f"({summary['replicas']} replica(s)), {summary['optimizer']} lr "
              f"{summary['learning_rate']:g}, layers {summary['layers']}",
              f"  time           {summary['train_minutes']:.1f} min, "
              + (f"{step:.2f} s a step (median of {summary['steps_run']})" if step else
                 "no step run")]
    losses = summary["losses"]
    if losses:
        shown = ("loss", "rpn_class_loss", "rpn_bbox_loss", "mrcnn_class_loss",
                 "mrcnn_bbox_loss", "mrcnn_mask_loss", "val_loss")
        lines.append("  final losses   " + ", ".join(
            f"{k.replace('_loss', '') if k != 'loss' else 'loss'} {losses[k]:.3f}"
            for k in shown if k in losses))
    evaluation = summary["evaluation"]
    if evaluation:
        map50 = evaluation["mask_map50"]
        lines.append(f"  val            mask mAP@0.5 "
                     f"{'n/a' if map50 is None else format(map50, '.3f')} "
                     f"({evaluation['images']} images); COCO segm AP "
                     f"{evaluation['segm_AP']:.3f} (AP50 {evaluation['segm_AP50']:.3f}), "
                     f"bbox AP {evaluation['bbox_AP']:.3f}")
    lines += [f"  final model    {summary['final']}",
              f"  checkpoints    {summary['checkpoints']} (best: {summary['best']})",
              f"  TensorBoard    tensorboard --logdir {summary['logs']}",
              f"  detect         mrcnn-tf detect IMAGES --weights {summary['final']} --out DIR",
              rule]
    return "\n".join(lines)
