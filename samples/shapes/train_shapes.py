"""Train Mask R-CNN on synthetic shapes, evaluate it on 50 held-out images, draw results.

    python3 samples/shapes/train_shapes.py                      # from scratch, 20 minutes
    python3 samples/shapes/train_shapes.py --backbone resnet50  # from scratch, ResNet-50
    python3 samples/shapes/train_shapes.py --init coco          # matterport's recipe
    python3 samples/shapes/train_shapes.py --backbone resnet50 --resume --minutes 30  # more

The data (mrcnn_tf.data.ShapesDataset): squares, circles and triangles on plain backgrounds,
128x128 pixels, 1-4 shapes an image; 500 training images, 50 held-out images (other seed).
Training runs against a wall-clock budget (--minutes, checked after every --steps-per-epoch
steps, each of which writes a checkpoint to --logs; only the newest is kept). Then the last
checkpoint is loaded into an inference model (detections kept from a score of 0.5), which
prints the mask mAP at IoU 0.5 (matterport's compute_ap averaged over the held-out images;
target >= 0.8) and COCO AP, and draws the first eight held-out images to --out.

--init scratch (default) needs no download: a small GroupNorm backbone (small_backbone.py,
passed as Config.BACKBONE), a 64-channel FPN, a 256-wide box head, 14x14 masks,
4 images a step, Adam (lr 0.001, a tenth for the last third of the budget), all layers.
About 0.5-0.8 s a step on a 2-core CPU. Measured on a 2-core AMD EPYC: see docs/training.md.
--backbone resnet50 is the same recipe on matterport's ResNet with BatchNorm
trained (TRAIN_BN, 4 images a step), its blocks starting as identities (the last BatchNorm
of each residual branch at gamma 0: modeling.matterport_resnet.zero_init_residual_branches) and
matterport's 256-channel FPN: weights whose convolutions are the ones the bfloat16 fast mode
runs (scripts/check_precision.py checks it on them). About 1-2 s a step (see docs/training.md).

--init coco starts from matterport's COCO weights (downloaded on first use, 246 MiB) without
their class-specific layers, matterport's shapes recipe: ResNet-50, 2 images a step, SGD
(lr 0.005), "heads" for the first third of the budget, then "all" at a tenth of the learning
rate. --init PATH does the same from another matterport-layout ResNet file (its heads start
afresh). Not measured here (no download on the test machine).
"""
import argparse
import time
from pathlib import Path

import cv2
import keras
import numpy as np

import mrcnn_tf
from mrcnn_tf.data import ShapesDataset
from mrcnn_tf.evaluation import coco as coco_eval
from mrcnn_tf.evaluation.metrics import compute_ap
from mrcnn_tf.modeling.matterport_resnet import zero_init_residual_branches
from mrcnn_tf.training.augmentation import HorizontalFlip, Sequential, VerticalFlip
from mrcnn_tf.training.layer_selection import layer_names
from mrcnn_tf.ops.boxes import extract_bboxes
from mrcnn_tf.weights.hdf5 import CLASS_SPECIFIC_LAYERS
from small_backbone import small_backbone


class ShapesConfig(mrcnn_tf.Config):
    """ResNet-50 for a start from COCO (or another matterport-layout file)."""
    NAME = "shapes"
    NUM_CLASSES = 4  # background, square, circle, triangle
    BACKBONE = "resnet50"
    IMAGES_PER_GPU = 2
    IMAGE_MIN_DIM = 128
    IMAGE_MAX_DIM = 128
    RPN_ANCHOR_SCALES = (8, 16, 32, 64, 128)  # the shapes are small
    TRAIN_ROIS_PER_IMAGE = 32
    POST_NMS_ROIS_TRAINING = 500
    POST_NMS_ROIS_INFERENCE = 250
    MAX_GT_INSTANCES = 10
    STEPS_PER_EPOCH = 50
    VALIDATION_STEPS = 5
    DETECTION_MIN_CONFIDENCE = 0.7


class ScratchShapesConfig(ShapesConfig):
    """A model small enough to learn the shapes from scratch within minutes on a CPU."""
    BACKBONE = small_backbone
    TOP_DOWN_PYRAMID_SIZE = 64
    FPN_CLASSIF_FC_LAYERS_SIZE = 256
    MASK_POOL_SIZE = 7
    MASK_SHAPE = [14, 14]
    IMAGES_PER_GPU = 4
    VALIDATION_STEPS = 2


class ScratchResNetShapesConfig(ScratchShapesConfig):
    """matterport's ResNet-50 (layer names and all) from scratch: BatchNorm is trained, as
    nothing else would give its statistics, and the FPN has matterport's 256 channels."""
    BACKBONE = "resnet50"
    TRAIN_BN = True
    TOP_DOWN_PYRAMID_SIZE = 256


def config_class(init, backbone="small"):
    if init != "scratch":
        return ShapesConfig
    return ScratchShapesConfig if backbone == "small" else ScratchResNetShapesConfig


class KeepLastCheckpoint(keras.callbacks.Callback):
    """Delete the previous epoch's checkpoint once a new one is written (saves disk space:
    each ResNet-50 checkpoint is ~170 MB)."""

    def __init__(self, model):
        super().__init__()
        self.mask_rcnn = model
        self.previous = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.mask_rcnn.checkpoint_path.format(epoch=epoch + 1)
        if self.previous and self.previous != current and Path(self.previous).exists():
            Path(self.previous).unlink()
        self.previous = current


class Deadline(keras.callbacks.Callback):
    """Stop training (after the current epoch's checkpoint) once a time budget is spent."""

    def __init__(self, seconds):
        super().__init__()
        self.end = time.monotonic() + seconds

    def on_epoch_end(self, epoch, logs=None):
        if time.monotonic() > self.end:
            self.model.stop_training = True


def shapes(count, seed):
    dataset = ShapesDataset()
    dataset.load_shapes(count, 128, 128, seed=seed)
    dataset.prepare()
    return dataset


def start_weights(model, init):
    if init == "scratch":
        zero_init_residual_branches(model.keras_model)  # ResNet blocks start as identities
    elif init == "coco":
        from mrcnn_tf.weights.fetch import fetch
        # ResNet-50 from the ResNet-101 file: the layers they share, on purpose
        model.load_weights(fetch("coco"), exclude=list(CLASS_SPECIFIC_LAYERS), strict=False)
    elif init != "scratch":  # another file: keep its backbone, start the heads afresh
        model.load_weights(init, exclude=layer_names(model.keras_model, "heads"))


def train(args, config, train_set, val_set):
    """Two stages within the time budget. Scratch: all layers with Adam, the learning rate
    falling to a tenth for the last third. COCO (or another file's) start: "heads" for the
    first third with SGD, then "all" at a tenth of the learning rate."""
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=args.logs)
    if args.resume:  # the newest checkpoint under --logs: its weights, folder and epoch
        model.load_weights(model.find_last())
    else:
        start_weights(model, args.init)
    budget = args.minutes * 60
    flips = Sequential([HorizontalFlip(0.5), VerticalFlip(0.5)])
    epochs = 10_000  # the Deadline callbacks end each stage
    scratch = args.init == "scratch"
    first, split = ("all", 2 / 3) if scratch else ("heads", 1 / 3)
    lr = args.lr or (0.001 if scratch else 0.005)
    keep = KeepLastCheckpoint(model)
    for layers, rate, seconds in ((first, lr, budget * split),
                                  ("all", lr / 10, budget * (1 - split))):
        model.train(train_set, val_set, learning_rate=rate, epochs=epochs, layers=layers,
                    augmentation=flips, custom_callbacks=[Deadline(seconds), keep], verbose=2,
                    optimizer="adam" if scratch else "sgd")
    return model.find_last()


def evaluate(config, weights, val_set, out_dir):
    inference_config = type(config)(IMAGES_PER_GPU=1, DETECTION_MIN_CONFIDENCE=0.5)
    model = mrcnn_tf.MaskRCNN(mode="inference", config=inference_config)
    model.load_weights(weights)
    aps = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for image_id in val_set.image_ids:
        image = val_set.load_image(image_id)
        masks, class_ids = val_set.load_mask(image_id)
        r = model.detect([image])[0]
        aps.append(compute_ap(extract_bboxes(masks), class_ids, masks, r["rois"],
                              r["class_ids"], r["scores"], r["masks"], iou_threshold=0.5)[0])
        if image_id < 8:
            picture = mrcnn_tf.visualize.draw_instances(image, r, val_set.class_names)
            cv2.imwrite(str(out_dir / f"val_{image_id:02d}.png"),
                        cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    coco = coco_eval.evaluate_coco(model, val_set, progress=False)
    return float(np.mean(aps)), coco


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--init", default="scratch", help="scratch, coco or a weights file")
    parser.add_argument("--backbone", choices=("small", "resnet50"), default="small",
                        help="backbone of the from-scratch recipe (default: small_backbone.py)")
    parser.add_argument("--minutes", type=float, default=20, help="training time budget")
    parser.add_argument("--lr", type=float,
                        help="learning rate of stage 1 (default 0.001 scratch, 0.005 otherwise)")
    parser.add_argument("--logs", default="logs", help="checkpoint and TensorBoard folder")
    parser.add_argument("--out", default="out/shapes", help="where pictures are drawn")
    parser.add_argument("--steps-per-epoch", type=int, default=50,
                        help="steps between checkpoints (and time-budget checks)")
    parser.add_argument("--weights", help="skip training: evaluate this checkpoint")
    parser.add_argument("--resume", action="store_true",
                        help="continue the newest checkpoint under --logs (the same recipe "
                             "again, for --minutes more)")
    args = parser.parse_args()

    if args.backbone != "small" and args.init != "scratch":
        parser.error("--backbone chooses the from-scratch recipe's backbone; --init "
                     f"{args.init} is ResNet-50")
    config = config_class(args.init, args.backbone)(STEPS_PER_EPOCH=args.steps_per_epoch)
    train_set, val_set = shapes(500, seed=0), shapes(50, seed=1)
    started = time.monotonic()
    weights = args.weights or train(args, config, train_set, val_set)
    minutes = (time.monotonic() - started) / 60
    mask_map, coco = evaluate(config, weights, val_set, Path(args.out))
    print(f"weights: {weights} (trained {minutes:.1f} min)" if not args.weights else weights)
    print(f"mask mAP@0.5 on {len(val_set.image_ids)} held-out images: {mask_map:.3f} "
          f"(target >= 0.8)")
    print(f"COCO segm AP {coco['segm']['AP']:.3f}, AP50 {coco['segm']['AP50']:.3f}; "
          f"bbox AP {coco['bbox']['AP']:.3f}, AP50 {coco['bbox']['AP50']:.3f}")


if __name__ == "__main__":
    main()
