"""Class-name lists of published weights."""

# matterport's mask_rcnn_coco.h5: index = class id, "BG" (background) first, COCO order.
COCO_CLASS_NAMES = (
    "BG", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)

# COCO category ids (annotation files) of COCO_CLASS_NAMES[1:], in the same order.
COCO_CATEGORY_IDS = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28,
    31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
    56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84,
    85, 86, 87, 88, 89, 90,
)

# torchvision's COCO detection models (maskrcnn_resnet50_fpn and _v2): the label is the COCO
# category id itself, so the list has 91 entries, "BG" (torchvision's "__background__") at 0
# and "N/A" at the ids COCO does not use (12, 26, 29, 30, 45, 66, 68, 69, 71, 83).
TORCHVISION_COCO_CLASS_NAMES = tuple(
    ["BG"] + [COCO_CLASS_NAMES[1 + COCO_CATEGORY_IDS.index(i)] if i in COCO_CATEGORY_IDS
              else "N/A" for i in range(1, 91)])

# The label space a family's COCO weights use, by family name (see default_class_names).
COCO_NAMES_BY_FAMILY = {"matterport": COCO_CLASS_NAMES,
                        "torchvision": TORCHVISION_COCO_CLASS_NAMES}


def generic_class_names(num_classes: int) -> tuple:
    """("BG", "class_1", ..., "class_<num_classes - 1>") for weights whose names are unknown."""
    return ("BG",) + tuple(f"class_{i}" for i in range(1, int(num_classes)))


def default_class_names(num_classes: int, family: str = "matterport") -> tuple:
    """The names a model gets when neither its preset nor its weights file carries any: the
    family's COCO label space when the class count is that space's (81 for matterport's
    ``mask_rcnn_coco.h5``, 91 for torchvision's), else generic_class_names."""
    coco = COCO_NAMES_BY_FAMILY.get(family)
    if coco is not None and len(coco) == int(num_classes):
        return coco
    return generic_class_names(num_classes)


def check_class_names(names, num_classes: int, *, what="class_names") -> tuple:
    """names as a tuple of str, one per class id with "BG" at 0; ValueError (naming ``what``)
    when the count differs from num_classes or a name is empty or holds a line break."""
    names = tuple(str(n) for n in names)
    if len(names) != int(num_classes):
        raise ValueError(f"{what}: {len(names)} names for NUM_CLASSES={num_classes} "
                         "(one per class id, background \"BG\" first)")
    bad = [i for i, n in enumerate(names) if not n.strip() or "\n" in n or "\r" in n]
    if bad:
        raise ValueError(f"{what}: name {bad[0]} ({names[bad[0]]!r}) is empty or holds a "
                         "line break")
    return names
