"""Fine-tune COCO weights (matterport's or torchvision's) on your own classes from COCO-format
annotations.

    python3 samples/finetune.py --name balloon \\
        --train-annotations balloon/train.json --train-images balloon/train \\
        --val-annotations balloon/val.json --val-images balloon/val

The class count comes from the annotation file. The starting weights (--weights: "coco",
"torchvision-v1" or "torchvision-v2", downloaded on first use, or a file: matterport-layout
HDF5, whose backbone is read from it, or a torchvision maskrcnn_resnet50_fpn / _v2 state dict,
.pth / .npz / .safetensors, which picks the torchvision family and its version) are loaded
without their class-specific layers (matterport's mrcnn_class_logits, mrcnn_bbox_fc,
mrcnn_mask; torchvision's box_predictor.cls_score / bbox_pred and
mask_predictor.mask_fcn_logits), the heads train first, then all layers at a tenth of the
learning rate. torchvision's family resizes the long side to --image-dim (torchvision's rule,
images padded to one square) and normalizes with ImageNet's mean and std.
Checkpoints: logs/<name><timestamp>/mask_rcnn_<name>_<epoch>.h5; --resume continues from
the last one. At the end the validation set is scored with COCO AP; the same numbers come
from ``mrcnn-tf evaluate --weights CHECKPOINT --annotations VAL.json --images DIR``.
"""
import argparse

import mrcnn_tf
from mrcnn_tf.data import CocoDataset
from mrcnn_tf.evaluation.coco import evaluate_coco
from mrcnn_tf.training.augmentation import default_augmentation
from mrcnn_tf.weights import torchvision_loader
from mrcnn_tf.weights.fetch import resolve_weights
from mrcnn_tf.weights.hdf5 import CLASS_SPECIFIC_LAYERS
from mrcnn_tf.weights.info import inspect_weights
from mrcnn_tf.weights.state_dict import read_state_dict, torchvision_version


def load(annotations, images):
    dataset = CocoDataset()
    dataset.load_coco(annotations, images)  # malformed entries are reported and skipped
    dataset.prepare()
    return dataset


def make_config(args, num_classes, family, **overrides):
    """One image a step, images of --image-dim pixels. family: a matterport backbone name
    ("resnet50", "resnet101") or a torchvision architecture ("torchvision_v1", "_v2")."""
    common = dict(NAME=args.name, NUM_CLASSES=num_classes, IMAGES_PER_GPU=1,
                  IMAGE_MIN_DIM=args.image_dim, IMAGE_MAX_DIM=args.image_dim,
                  STEPS_PER_EPOCH=args.steps_per_epoch, VALIDATION_STEPS=args.validation_steps)
    if family.startswith("torchvision"):
        return mrcnn_tf.TorchvisionConfig(ARCHITECTURE=family, **common, **overrides)
    return mrcnn_tf.Config(BACKBONE=family, **common, **overrides)


def weights_family(path):
    """(family, class-specific layer names) of a starting weights file."""
    if torchvision_loader.is_state_dict_file(path):
        version = torchvision_version(read_state_dict(path))
        return (torchvision_loader.ARCHITECTURE_BY_VERSION[version],
                list(torchvision_loader.CLASS_SPECIFIC_LAYERS))
    return inspect_weights(path).backbone, list(CLASS_SPECIFIC_LAYERS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="experiment name (checkpoint names)")
    parser.add_argument("--train-annotations", required=True)
    parser.add_argument("--train-images", required=True)
    parser.add_argument("--val-annotations", required=True)
    parser.add_argument("--val-images", required=True)
    parser.add_argument("--weights", default="coco",
                        help='"coco", "torchvision-v1", "torchvision-v2" or a weights file '
                             "(.h5, or a torchvision .pth / .npz / .safetensors) to start from")
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
    family, class_specific = weights_family(start)
    config = make_config(args, train_set.num_classes, family)
    model = mrcnn_tf.MaskRCNN(mode="training", config=config, model_dir=args.logs)
    if args.resume:
        model.load_weights(model.find_last())  # also continues its folder and epoch count
    else:
        model.load_weights(start, exclude=class_specific)

    augmentation = default_augmentation()
    if model.epoch < args.head_epochs:
        model.train(train_set, val_set, learning_rate=args.lr, epochs=args.head_epochs,
                    layers="heads", augmentation=augmentation)
    model.train(train_set, val_set, learning_rate=args.lr / 10, epochs=args.all_epochs,
                layers="all", augmentation=augmentation)

    # COCO AP wants every detection, however weak
    inference = mrcnn_tf.MaskRCNN(mode="inference", config=make_config(
        args, train_set.num_classes, family, DETECTION_MIN_CONFIDENCE=0.0))
    inference.load_weights(model.find_last())
    ap = evaluate_coco(inference, val_set)
    print(f"validation: bbox AP {ap['bbox']['AP']:.3f} (AP50 {ap['bbox']['AP50']:.3f}), "
          f"mask AP {ap['segm']['AP']:.3f} (AP50 {ap['segm']['AP50']:.3f})")


if __name__ == "__main__":
    main()
