"""INT8 OpenVINO IR by NNCF post-training quantization, with an agreement gate (issue 29).

``int8_from_openvino(float_folder, out_dir, images)`` quantizes the float32 IR that
``export_portable(..., "openvino")`` / ``openvino_from_onnx`` wrote: ``nncf.quantize`` is
calibrated on the family's molded inputs of the images (``transform.mold``, as ``detect()``
molds), the float32 IR and the INT8 IR then both run through ``mrcnn_tf.runtime`` on the check
images and their detections are compared with the parity criterion
(``evaluation.agreement.compare_detections``, float32 as the reference). The INT8 folder is
written (whole, by renaming a temporary folder) only when every check image agrees; otherwise
an ``AgreementError`` says on one line where it did not.

Images: a folder the user gives (``read_calibration_images``: jpg / png, read with OpenCV, as
RGB) or ``default_calibration_images``, pictures shipped inside scikit-image (no downloads).
Only graphs of one fixed input size (matterport's family) are quantized; torchvision's
any-size graph (anchors as an input) is refused. No TensorFlow is imported here.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

import numpy as np

from mrcnn_tf.export.names import CLASS_NAMES_ASSET as CLASS_NAMES_FILE
from mrcnn_tf.export.names import CONFIG_ASSET as CONFIG_FILE

META_FILE = "portable.json"
MODEL_FILE = "model.xml"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# scikit-image's own pictures, all in its installed data folder (the rest need a download)
DEFAULT_IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field",
                  "immunohistochemistry", "camera", "coins")
MAX_CALIBRATION = 300  # nncf's own default subset size
MAX_CHECK = 8  # images the agreement gate runs (the first ones, by name)


class AgreementError(ValueError):
    """The INT8 model's detections do not agree with the float32 model's; nothing written."""


def _rgb(image) -> np.ndarray:
    """image as uint8 RGB [H, W, 3] (grayscale stacked, alpha dropped)."""
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def default_calibration_images() -> list:
    """[(name, RGB image)] of DEFAULT_IMAGES, each one scikit-image has without a download."""
    import skimage.data

    images = []
    for name in DEFAULT_IMAGES:
        try:
            images.append((name, _rgb(getattr(skimage.data, name)())))
        except Exception:  # absent from this scikit-image, or only downloadable
            continue
    if not images:
        raise ValueError("no default calibration images: scikit-image has none of "
                         f"{', '.join(DEFAULT_IMAGES)}; give --calibration-images DIR")
    return images


def read_calibration_images(folder) -> list:
    """[(file name, RGB image)] of the jpg / png files in folder, by name, read with OpenCV.
    A missing folder, one without such images or an unreadable image is a ValueError."""
    import cv2

    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise ValueError(f"--calibration-images {folder}: no such folder")
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        raise ValueError(f"--calibration-images {folder}: no .jpg or .png images in it")
    images = []
    for name in names[:MAX_CALIBRATION]:
        pixels = cv2.imread(os.path.join(folder, name), cv2.IMREAD_COLOR)
        if pixels is None:
            raise ValueError(f"--calibration-images {os.path.join(folder, name)}: not an "
                             "image OpenCV can read")
        images.append((name, np.ascontiguousarray(pixels[..., ::-1])))
    return images


def calibration_items(transform, images, input_names) -> list:
    """One feed dict {input name: array} per image: the molded image float32 [1, H, W, 3]
    and image_meta float32 [1, META], told apart by rank as the runtime does."""
    items = []
    for _, image in images:
        molded, meta, _ = transform.mold(image)
        by_rank = {4: np.asarray(molded, np.float32), 2: np.asarray(meta, np.float32)}
        items.append({name: by_rank[rank] for name, rank in input_names.items()})
    return items


def quantize_ir(xml_path, transform, images):
    """The OpenVINO model at xml_path quantized to INT8 by nncf (an openvino.Model), every
    layer nncf quantizes by default. Keeping the score / box / mask layers in float32
    (ignored_scope) was measured (docs/runtimes.md, INT8): no better agreement on the parity
    weights, half the speed-up."""
    import nncf
    import openvino

    model = openvino.Core().read_model(os.fspath(xml_path))
    input_names = {port.get_any_name(): len(port.get_partial_shape()) for port in model.inputs}
    items = calibration_items(transform, images, input_names)
    return nncf.quantize(model, nncf.Dataset(items), subset_size=len(items))


def agreements(float_path, int8_path, images) -> list:
    """[(name, Agreement)] of the INT8 model's detections against the float32 model's, one
    per image, through mrcnn_tf.runtime."""
    from mrcnn_tf import runtime
    from mrcnn_tf.evaluation.agreement import compare_detections

    reference, ours = runtime.load(float_path), runtime.load(int8_path)
    return [(name, compare_detections(reference.detect([image])[0], ours.detect([image])[0],
                                      image.shape[:2]))
            for name, image in images]


def verdict(results) -> str:
    """One line: on how many images INT8 agrees with float32, and where it does not."""
    failed = [(name, a) for name, a in results if not a.passes()]
    if not failed:
        return f"INT8 agrees with float32 on {len(results)} of {len(results)} images"
    where = "; ".join(f"{name}: matched {a.matched} of {a.reference_count} / {a.our_count}, "
                      f"max score diff {a.max_score_diff:.3f}, mask IoU {a.mean_mask_iou:.3f}"
                      for name, a in failed[:3])
    more = f"; {len(failed) - 3} more" if len(failed) > 3 else ""
    return (f"INT8 disagrees with float32 on {len(failed)} of {len(results)} images "
            f"({where}{more})")


def _read_meta(folder) -> dict:
    with open(os.path.join(folder, META_FILE), encoding="utf8") as f:
        return json.load(f)


def _write_meta(folder, meta) -> None:
    with open(os.path.join(folder, META_FILE), "w", encoding="utf8") as f:
        json.dump(meta, f, indent=1)


def check_fixed_size(meta, where) -> None:
    """A ValueError for a graph of any size (torchvision's): INT8 is for fixed-size graphs."""
    if meta.get("anchors_input") or None in meta.get("input_shape", [None]):
        raise ValueError(f"{where}: --precision int8 is for graphs of one fixed size "
                         "(matterport's family); torchvision's any-size graph is not quantized")


def write_quantized(float_folder, folder, images, *, calibration="default") -> dict:
    """The float32 OpenVINO export in float_folder quantized to INT8 into the existing folder
    (model, mrcnn_config.json, class_names.txt, portable.json with "precision": "int8"),
    calibrated on images [(name, RGB image)], not checked; returns its portable.json dict."""
    import openvino

    from mrcnn_tf.families import family_for
    from mrcnn_tf.runtime.model import ExportFiles

    meta = _read_meta(float_folder)
    check_fixed_size(meta, float_folder)
    config = ExportFiles(float_folder).config
    transform = family_for(config).transform(config)
    quantized = quantize_ir(os.path.join(float_folder, meta["model"]), transform, images)
    openvino.save_model(quantized, os.path.join(folder, MODEL_FILE), compress_to_fp16=False)
    for name in (CONFIG_FILE, CLASS_NAMES_FILE):
        shutil.copy(os.path.join(float_folder, name), os.path.join(folder, name))
    meta.update(format="openvino", model=MODEL_FILE, precision="int8",
                calibration=f"{calibration} ({len(images)} images)")
    _write_meta(folder, meta)
    return meta


def int8_from_openvino(float_folder, out_dir, images=None, *, calibration="default",
                       overwrite=False) -> tuple:
    """The float32 OpenVINO export in float_folder quantized to INT8 into folder out_dir,
    calibrated on images ([(name, RGB image)], default_calibration_images when None) and
    written only when the INT8 model agrees with the float32 one on the first MAX_CHECK of
    them (else AgreementError, nothing at out_dir). Returns (.xml path, agreement line)."""
    from mrcnn_tf.export.portable import _replace

    float_folder = os.path.abspath(os.fspath(float_folder))
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not overwrite:
        raise ValueError(f"{out_dir} exists (pass overwrite=True / --overwrite to replace it)")
    check_fixed_size(_read_meta(float_folder), float_folder)
    images = list(images) if images is not None else default_calibration_images()
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".partial-", dir=parent)
    try:
        meta = write_quantized(float_folder, work, images, calibration=calibration)
        results = agreements(os.path.join(float_folder, MODEL_FILE),
                             os.path.join(work, MODEL_FILE), images[:MAX_CHECK])
        line = verdict(results)
        if not all(a.passes() for _, a in results):
            raise AgreementError(f"{line}; not written")
        _write_meta(work, dict(meta, agreement=line))
        _replace(work, out_dir, parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return os.path.join(out_dir, MODEL_FILE), line
