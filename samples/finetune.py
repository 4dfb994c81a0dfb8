"""Fine-tune matterport's COCO weights on your own classes from COCO-format annotations.

    python3 samples/finetune.py --name balloon \\
        --train-annotations balloon/train.json --train-images balloon/train \\
        --val-annotations balloon/val.json --val-images balloon/val

The class count comes from the annotation file. The starting weights (--weights: "coco",
downloaded on first use, or any matterport-layout file; the backbone is read from it) are
loaded without their class-specific layers (mrcnn_class_logits, mrcnn_bbox_fc, mrcnn_mask),
the heads train first, then all layers at a tenth of the learning rate.
Checkpoints: logs/<name><timestamp>/mask_rcnn_<name>_<epoch>.h5; --resume continues from
the last one. At the end the validation set is scored with COCO AP; the same numbers come
from ``mrcnn-tf evaluate --weights CHECKPOINT --annotations VAL.json --images DIR``.
"""
import argparse

import mrcnn_tf
from mrcnn_tf.data import CocoDataset
from mrcnn_tf.evaluation.coco import evaluate_coco
from mrcnn_tf.training.augmentation import default_augmentation
from mrcnn_tf.weights.fetch import resolve_weights
from mrcnn_tf.weights.hdf5 import CLASS_SPECIFIC_LAYERS
from mrcnn_tf.weights.info import inspect_weights


def load(annotations, images):
    dataset = CocoDataset()
    dataset.load_coco(annotations, images)  # malformed entries are reported and skipped
    dataset.prepare()
    return dataset


def make_config(args, num_classes, backbone, **overrides):
    """One image a step, square images of --image-dim pixels."""
    return mrcnn_tf.Config(NAME=args.name, NUM_CLASSES=num_classes, BACKBONE=backbone,
                           IMAGES_PER_GPU=1, IMAGE_MIN_DIM=args.image_dim,
                           IMAGE_MAX_DIM=args.image_dim, STEPS_PER_EPOCH=args.steps_per_epoch,
                           VALIDATION_STEPS=args.validation_steps, **overrides)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="experiment name (checkpoint names)")
    parser.add_argument("--train-annotations", required=True)
    parser.add_argument("--train-images", required=True)
    parser.add_argument("--val-annotations", required=True)
    parser.add_argument("--val-images", required=True)
    parser.add_argument("--weights", default="coco", help='"coco" or a weights file to start from')
    parser.add_argument("--image-dim", type=int, default=1024, help="image side (multiple of 64)")
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    parser.add_argument("--validation-steps", type=int, default=10)
    parser.add_argument("--logs", default="logs")
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--head-epochs", type=int, default=20)
    parser.add_argument("--all-epochs", type=int, default=40, help="epoch number to stop at")
    parser.add_argument("--resume", action="store_true", help="continue the last checkpoint")
    args = parser.parse_args()

    train_set = load(args.train_annotations, args.train_images)
    val_set = load(args.val_annotations, args.val_images)
    start = resolve_weights(args.weights)
    backbone = inspect_weights(start).backbone
    config = make_config(args, train_set.num_classes, backbone)
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=args.logs)
    if args.resume:
        model.load_weights(model.find_last())  # also continues its folder and epoch count
    else:
        model.load_weights(start, exclude=list(CLASS_SPECIFIC_LAYERS))

    augmentation = default_augmentation()
    if model.epoch < args.head_epochs:
        model.train(train_set, val_set, learning_rate=args.lr, epochs=args.head_epochs,
                    layers="heads", augmentation=augmentation)
    model.train(train_set, val_set, learning_rate=args.lr / 10, epochs=args.all_epochs,
                layers="all", augmentation=augmentation)

    # COCO AP wants every detection, however weak
    inference = mrcnn_tf.MaskRCNN(mode="inference", config=make_config(
        args, train_set.num_classes, backbone, DETECTION_MIN_CONFIDENCE=0.0))
    inference.load_weights(model.find_last())
    ap = evaluate_coco(inference, val_set)
    print(f"validation: bbox AP {ap['bbox']['AP']:.3f} (AP50 {ap['bbox']['AP50']:.3f}), "
          f"mask AP {ap['segm']['AP']:.3f} (AP50 {ap['segm']['AP50']:.3f})")


if __name__ == "__main__":
    main()
