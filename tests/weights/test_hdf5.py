"""weights.hdf5: loading matterport-layout files, our own save, and clear errors."""
from __future__ import annotations

import json
import re

import h5py
import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.weights.hdf5 import CLASS_SPECIFIC_LAYERS, load_weights, save_weights
from tests.helpers import PARITY_DIR


def _model(num_classes):
    config = mrcnn_tf.Config(NAME="t", NUM_CLASSES=num_classes, BACKBONE="resnet50",
                             IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128)
    return mrcnn_tf.MaskRCNN(mode="inference", config=config).keras_model


@pytest.fixture(scope="module")
def coco_r50():
    """ResNet-50, 81 classes, as the r50 fixture file (tests load what they need first)."""
    return _model(81)


@pytest.fixture(scope="module")
def three_class_pair():
    """Two independently initialized ResNet-50 models with NUM_CLASSES=3."""
    return _model(3), _model(3)


def _variable(model, layer, weight_name):
    """The model variable for a file entry (layer, 'sub/kernel:0'), looked up by hand."""
    owner = model.get_layer(layer)
    sub, var = weight_name.split(":")[0].split("/")[-2:]
    if owner.name == "rpn_model":
        owner = owner.get_layer(sub)
    matches = [v for v in owner.weights if v.name == var]
    assert len(matches) == 1, f"{layer} {weight_name}"
    return matches[0]


def _file_entries(path):
    with h5py.File(path, "r") as f:
        for layer in f.attrs["layer_names"]:
            layer = layer.decode()
            for name in f[layer].attrs["weight_names"]:
                name = name.decode()
                yield layer, name, np.asarray(f[layer][name])


def test_r50_file_loads_every_layer_with_its_values(coco_r50, r50_weights):
    report = load_weights(coco_r50, r50_weights)
    assert report.missing == [] and report.unused == [] and report.excluded == []
    with h5py.File(r50_weights, "r") as f:
        assert sorted(report.loaded) == sorted(n.decode() for n in f.attrs["layer_names"])
    count = 0
    for layer, name, value in _file_entries(r50_weights):
        np.testing.assert_array_equal(np.asarray(_variable(coco_r50, layer, name)), value,
                                      err_msg=f"{layer} {name}")
        count += 1
    assert count == 384


def test_save_then_load_round_trip_is_exact(three_class_pair, tmp_path):
    source, fresh = three_class_pair
    assert any(not np.array_equal(a, b) for a, b in zip(source.get_weights(), fresh.get_weights()))
    path = tmp_path / "saved.h5"
    save_weights(source, path)
    report = load_weights(fresh, path)
    assert report.missing == [] and report.unused == []
    assert len(source.weights) == len(fresh.weights)
    for a, b in zip(source.weights, fresh.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(np.asarray(b), np.asarray(a), err_msg=a.path)


def test_saved_file_has_matterport_names_and_shapes(three_class_pair, tmp_path):
    path = tmp_path / "saved.h5"
    save_weights(three_class_pair[0], path)
    saved = {(layer, name): value.shape for layer, name, value in _file_entries(path)}
    with open(PARITY_DIR / "manifest_r50.json") as f:
        manifest = {(layer, name): tuple(shape) for layer, name, shape in json.load(f)["layers"]}
    assert set(saved) == set(manifest)
    for (layer, name), shape in manifest.items():
        if layer not in CLASS_SPECIFIC_LAYERS:
            assert saved[layer, name] == shape, f"{layer} {name}"
    assert saved["mrcnn_bbox_fc", "mrcnn_bbox_fc/kernel:0"] == (1024, 12)


def test_missing_file(coco_r50, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.h5"):
        load_weights(coco_r50, tmp_path / "nothere.h5")


def test_non_hdf5_coco_file_mentions_expected_size(coco_r50, tmp_path):
    path = tmp_path / "mask_rcnn_coco.h5"
    path.write_bytes(b"<html><body>rate limit exceeded</body></html>")
    with pytest.raises(ValueError, match="257,557,808"):
        load_weights(coco_r50, path)


def test_truncated_file(coco_r50, r50_weights, tmp_path):
    path = tmp_path / "truncated.h5"
    with open(r50_weights, "rb") as src:
        path.write_bytes(src.read(r50_weights.stat().st_size // 2))
    with pytest.raises(ValueError, match="truncated"):
        load_weights(coco_r50, path)


def test_unrelated_layers(coco_r50, tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense_7"], dtype="S")
        group = f.create_group("dense_7")
        group.attrs["weight_names"] = np.array([b"dense_7/kernel:0"], dtype="S")
        group.create_dataset("dense_7/kernel:0", data=np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError, match=r"0 of \d+ layers matched"):
        load_weights(coco_r50, path)


def test_num_classes_mismatch_then_exclude(three_class_pair, r50_weights):
    model = three_class_pair[1]
    for strict in (True, False):
        with pytest.raises(ValueError) as err:
            load_weights(model, r50_weights, strict=strict)
        message = str(err.value)
        for words in ("NUM_CLASSES=81", "NUM_CLASSES=3", "mrcnn_class_logits", "exclude=",
                      "from_weights"):
            assert words in message, message

    before = {name: [np.asarray(v) for v in model.get_layer(name).weights]
              for name in CLASS_SPECIFIC_LAYERS}
    report = load_weights(model, r50_weights, exclude=list(CLASS_SPECIFIC_LAYERS))
    assert sorted(report.excluded) == sorted(CLASS_SPECIFIC_LAYERS) and report.missing == []
    for name, values in before.items():
        for v, old in zip(model.get_layer(name).weights, values):
            np.testing.assert_array_equal(np.asarray(v), old)
    for layer, name, value in _file_entries(r50_weights):
        if layer not in CLASS_SPECIFIC_LAYERS:
            np.testing.assert_array_equal(np.asarray(_variable(model, layer, name)), value)


def test_model_weights_group_loads(coco_r50, r50_weights, tmp_path):
    """Whole-model Keras 2 files keep the layers under a 'model_weights' group (and, like every
    Keras 2 file, list weightless layers too)."""
    path = tmp_path / "wrapped.h5"
    with h5py.File(r50_weights, "r") as src, h5py.File(path, "w") as dst:
        group = dst.create_group("model_weights")
        for key, value in src.attrs.items():
            group.attrs[key] = value
        for layer in src:
            src.copy(src[layer], group, name=layer)
        kernel = group["conv1"]["conv1/kernel:0"]
        kernel[...] = 2 * kernel[...]   # a value the plain file does not have
        # Keras 2 also lists weightless layers, with an empty weight_names attribute
        for name in ("input_image", "activation_1"):
            group.create_group(name).attrs["weight_names"] = np.array([])
        group.attrs["layer_names"] = np.concatenate(
            [[b"input_image", b"activation_1"], src.attrs["layer_names"]]).astype("S")
    report = load_weights(coco_r50, path)
    assert report.missing == [] and report.unused == []
    for layer, name, value in _file_entries(r50_weights):
        expected = 2 * value if (layer, name) == ("conv1", "conv1/kernel:0") else value
        np.testing.assert_array_equal(np.asarray(_variable(coco_r50, layer, name)), expected)


def test_exclude_of_unknown_layer_names_the_closest(coco_r50, r50_weights):
    with pytest.raises(ValueError, match="mrcnn_class_logits") as err:
        load_weights(coco_r50, r50_weights, exclude=["mrcnn_class_logit"])
    assert "mrcnn_class_logit'" in str(err.value)


def _without_layer(source, path, dropped):
    """A copy of a weights file without one layer."""
    with h5py.File(source, "r") as src, h5py.File(path, "w") as dst:
        names = [n for n in src.attrs["layer_names"] if n.decode() != dropped]
        dst.attrs["layer_names"] = np.array(names, dtype="S")
        for name in names:
            src.copy(src[name.decode()], dst, name=name.decode())
    return path


def test_a_resnet101_file_in_a_resnet50_model_needs_strict_false(coco_r50, r101_weights):
    """The ResNet-101 COCO file holds every layer of a ResNet-50 model (matterport's shapes
    recipe starts that way): a partial load on purpose, asked for with strict=False."""
    before = np.asarray(coco_r50.get_layer("conv1").kernel).copy()
    with pytest.raises(ValueError) as err:
        load_weights(coco_r50, r101_weights)
    message = str(err.value)
    for words in ("r101.h5", "ResNet-101 (23 res4 blocks)", "ResNet-50 (6 res4 blocks)",
                  "MaskRCNN.from_weights", "strict=False"):
        assert words in message, message
    np.testing.assert_array_equal(np.asarray(coco_r50.get_layer("conv1").kernel), before)

    report = load_weights(coco_r50, r101_weights, strict=False)
    assert report.missing == [] and len(report.unused) == 17 * 6  # res4g..res4w: conv + BN x 3
    assert all(re.match(r"(res|bn)4[g-w]_branch2[abc]$", name) for name in report.unused)
    for layer, name, value in _file_entries(r101_weights):
        if layer not in report.unused:
            np.testing.assert_array_equal(np.asarray(_variable(coco_r50, layer, name)), value)


def test_a_file_without_a_layer_of_the_model(coco_r50, r50_weights, tmp_path):
    path = _without_layer(r50_weights, tmp_path / "no_mask.h5", "mrcnn_mask")
    with pytest.raises(ValueError, match=r"1 model layers are not in the file \(mrcnn_mask\).*"
                                         r"strict=False"):
        load_weights(coco_r50, path)
    assert load_weights(coco_r50, path, strict=False).missing == ["mrcnn_mask"]
    assert load_weights(coco_r50, path, exclude=["mrcnn_mask"]).missing == []


def test_a_torchvision_state_dict_is_named_as_such(coco_r50, parity_dir):
    pth = parity_dir / "torchvision" / "small_state_dict.pth"
    for strict in (True, False):
        with pytest.raises(ValueError, match="small_state_dict.pth' is a torch state dict "
                                             r"\(.pth\).*from_weights"):
            load_weights(coco_r50, pth, strict=strict)


def test_fold_batch_norm_folds_every_batch_norm_into_its_convolution(coco_r50, r50_weights,
                                                                     tmp_path):
    """FOLD_BATCH_NORM: load_weights puts kernel * gamma / sqrt(variance + epsilon) in each
    convolution before a BatchNorm, the BatchNorm keeps the file's values and passes its
    input through; the model computes what the unfolded one does, up to float rounding; it
    refuses to save (its convolutions no longer hold the file's weights)."""
    from mrcnn_tf.inference.preprocessing import mold_inputs
    from mrcnn_tf.layers import FusedBatchNorm
    from mrcnn_tf.ops.anchors import anchors_for_image_shape
    from tests.helpers import skimage_image

    load_weights(coco_r50, r50_weights)
    config = mrcnn_tf.Config(NAME="t", NUM_CLASSES=81, BACKBONE="resnet50", IMAGES_PER_GPU=1,
                             IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128, FOLD_BATCH_NORM=True)
    folded = mrcnn_tf.MaskRCNN(mode="inference", config=config).keras_model
    report = load_weights(folded, r50_weights)
    batch_norms = [layer.name for layer in coco_r50.layers if isinstance(layer, FusedBatchNorm)]
    assert len(batch_norms) == 59  # ResNet-50's 53, the classifier's 2, the mask head's 4
    assert sorted(report.folded) == sorted(batch_norms)
    assert "folded 59 BatchNorm layers" in str(report)
    file = {(layer, name.split("/")[-1].split(":")[0]): value
            for layer, name, value in _file_entries(r50_weights)}
    for conv, bn in [("conv1", "bn_conv1"), ("res3b_branch2b", "bn3b_branch2b"),
                     ("mrcnn_class_conv1", "mrcnn_class_bn1"),
                     ("mrcnn_mask_conv4", "mrcnn_mask_bn4")]:
        scale = file[bn, "gamma"] / np.sqrt(file[bn, "moving_variance"] + 1e-3)
        np.testing.assert_allclose(np.asarray(folded.get_layer(conv).kernel),
                                   file[conv, "kernel"] * scale, rtol=1e-6, err_msg=conv)
        np.testing.assert_allclose(np.asarray(folded.get_layer(conv).bias),
                                   (file[conv, "bias"] - file[bn, "moving_mean"]) * scale
                                   + file[bn, "beta"], rtol=1e-5, atol=1e-6, err_msg=conv)
        np.testing.assert_array_equal(np.asarray(folded.get_layer(bn).gamma), file[bn, "gamma"])
    molded, metas, _ = mold_inputs([skimage_image("astronaut")], config)
    anchors = anchors_for_image_shape(molded.shape[1:3], config)[None]
    outputs = [[np.asarray(x) for x in model([molded, metas, anchors], training=False)]
               for model in (coco_r50, folded)]
    for index in (5, 6):  # rpn_class, rpn_bbox: every anchor's, in a fixed order
        exact, fold = outputs[0][index], outputs[1][index]
        assert not np.array_equal(exact, fold)  # the rounding differs: the fold did happen
        np.testing.assert_allclose(fold, exact, rtol=0, atol=1e-4 * np.abs(exact).max())
    with pytest.raises(ValueError, match="folds 59 BatchNorm layers.*FOLD_BATCH_NORM=False"):
        save_weights(folded, tmp_path / "folded.h5")
