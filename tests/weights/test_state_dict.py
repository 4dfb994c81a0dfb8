"""weights.state_dict: one reader for .pth, .npz and .safetensors; manifest checks; what the
keys of a torchvision Mask R-CNN state dict tell (v1 / v2, classes, backbone)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import mrcnn_tf.weights
from mrcnn_tf.weights.formats import TORCH_LEGACY, TORCH_ZIP, file_kind
from mrcnn_tf.weights.state_dict import (check_state_dict, read_state_dict,
                                         torchvision_backbone, torchvision_num_classes,
                                         torchvision_version)
from tests.helpers import REPO


@pytest.fixture(scope="module")
def tv_dir(parity_dir):
    return parity_dir / "torchvision"


@pytest.fixture(scope="module")
def expected(tv_dir):
    with np.load(tv_dir / "small_state_dict_expected.npz") as data:
        return {key: data[key] for key in data.files}


def manifest(tv_dir, version) -> dict:
    with open(tv_dir / f"manifest_tv_{version}.json") as f:
        return {key: tuple(shape) for key, shape, _ in json.load(f)["tensors"]}


def assert_same(tensors, expected):
    assert list(tensors) == list(expected)
    for key, value in expected.items():
        assert tensors[key].dtype == value.dtype and tensors[key].shape == value.shape, key
        np.testing.assert_array_equal(tensors[key], value, err_msg=key)


def test_npz_and_safetensors_read_as_the_pth(tv_dir, expected, tmp_path):
    from safetensors.numpy import save_file

    assert_same(read_state_dict(tv_dir / "small_state_dict_expected.npz"), expected)
    path = tmp_path / "weights.safetensors"
    save_file(expected, str(path))
    tensors = read_state_dict(path)
    assert set(tensors) == set(expected)
    assert_same({key: tensors[key] for key in expected}, expected)
    assert_same(read_state_dict(tv_dir / "small_state_dict.pth"), expected)


@pytest.mark.parametrize("name", ["small_state_dict.pth", "small_checkpoint.pth",
                                  "small_state_dict_legacy.pth", "small_checkpoint_legacy.pth"])
def test_files_real_torch_wrote(tv_dir, expected, name):
    """Files torch itself wrote, in its zip and legacy (_use_new_zipfile_serialization=False)
    layouts, a state dict and a {"model": ..., "epoch": 3} checkpoint: each reads exactly as
    small_state_dict_expected.npz (key order, value, dtype, shape), including the transposed
    view, float16, the 0-d int64 and the two views at an offset and a stride of one storage."""
    assert file_kind(tv_dir / name) == (TORCH_LEGACY if "legacy" in name else TORCH_ZIP)
    assert_same(read_state_dict(tv_dir / name), expected)


def test_the_kind_comes_from_the_bytes_not_the_name(tv_dir, expected, tmp_path):
    renamed = tmp_path / "weights.bin"
    renamed.write_bytes((tv_dir / "small_checkpoint.pth").read_bytes())
    assert_same(read_state_dict(renamed), expected)


def test_other_files_are_clear_errors(tmp_path, r50_weights):
    with pytest.raises(FileNotFoundError, match="none.pth"):
        read_state_dict(tmp_path / "none.pth")
    with pytest.raises(ValueError, match="Keras HDF5 weights file.*MaskRCNN.load_weights"):
        read_state_dict(r50_weights)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"<html>404</html>")
    with pytest.raises(ValueError, match=r"junk.pth is not a state dict file \(torch .pth zip, "
                                         r"\.npz or \.safetensors\)"):
        read_state_dict(junk)
    objects = tmp_path / "objects.npz"
    np.savez(objects, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="objects.npz: cannot read this .npz without pickle"):
        read_state_dict(objects)


def test_check_state_dict_names_missing_extra_and_misshaped(expected):
    shapes = {key: value.shape for key, value in expected.items()}
    check_state_dict(expected, shapes)  # fits
    wanted = dict(shapes)
    del wanted["rpn.head.cls_logits.bias"]  # so the file has an extra tensor
    wanted["roi_heads.box_predictor.cls_score.weight"] = (91, 1024)  # the file lacks it
    wanted["backbone.body.conv1.weight"] = (64, 3, 7, 7)  # the file has (8, 3, 7, 7)
    with pytest.raises(ValueError) as err:
        check_state_dict(expected, wanted, what="small_state_dict.pth")
    message = str(err.value)
    for words in ("small_state_dict.pth does not fit the model",
                  "1 missing: roi_heads.box_predictor.cls_score.weight",
                  "1 unexpected: rpn.head.cls_logits.bias",
                  "1 with another shape: backbone.body.conv1.weight (8, 3, 7, 7) "
                  "(expected (64, 3, 7, 7))"):
        assert words in message, message


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_torchvision_version_classes_and_backbone_from_the_keys(tv_dir, version):
    shapes = manifest(tv_dir, version)
    assert torchvision_version(shapes) == version
    assert torchvision_version(list(shapes)) == version
    zeros = {key: np.zeros(shape, np.float32) for key, shape in shapes.items()
             if key.startswith("roi_heads.box_predictor")}
    assert torchvision_num_classes(zeros) == 91
    assert torchvision_backbone(shapes) == ("resnet50", 6)


def test_torchvision_version_of_other_keys(tv_dir):
    with pytest.raises(ValueError, match="not a torchvision Mask R-CNN state dict: it has "
                                         "neither of 'roi_heads.box_head.fc6.weight'"):
        torchvision_version(["backbone.body.conv1.weight"])
    both = set(manifest(tv_dir, "v1")) | set(manifest(tv_dir, "v2"))
    with pytest.raises(ValueError, match="it has both of"):
        torchvision_version(both)


def test_importing_the_package_loads_neither_tensorflow_nor_keras(tv_dir):
    assert mrcnn_tf.weights.read_state_dict is read_state_dict
    code = ("import sys, mrcnn_tf.weights as w; "
            f"w.read_state_dict({str(tv_dir / 'small_state_dict.pth')!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras', 'torch')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
