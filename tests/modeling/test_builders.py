"""modeling: the inference model has matterport's layer names and weight shapes (the weight
contract in ../shared/parity/manifest_*.json) and class-dependent heads follow NUM_CLASSES."""
from __future__ import annotations

import json

import pytest

import mrcnn_tf
from mrcnn_tf.modeling.matterport_rcnn import build_inference_model
from tests.helpers import PARITY_DIR


def _config(backbone, num_classes=81):
    return mrcnn_tf.Config(NUM_CLASSES=num_classes, BACKBONE=backbone, IMAGES_PER_GPU=1,
                           IMAGE_MIN_DIM=128, IMAGE_MAX_DIM=128)


def _weight_shape(model, layer, weight_name):
    owner = model.get_layer(layer)
    sub, var = weight_name.split(":")[0].split("/")[-2:]
    if layer == "rpn_model":
        owner = owner.get_layer(sub)
    else:
        assert sub == layer, weight_name
    shapes = [tuple(v.shape) for v in owner.weights if v.name == var]
    assert len(shapes) == 1, f"{layer}: {weight_name} has {len(shapes)} matches"
    return shapes[0]


@pytest.mark.parametrize("backbone, manifest_name", [("resnet50", "manifest_r50.json"),
                                                     ("resnet101", "manifest_r101.json")])
def test_weight_contract(backbone, manifest_name):
    with open(PARITY_DIR / manifest_name) as f:
        manifest = json.load(f)
    assert backbone in manifest["model"]
    model = build_inference_model(_config(backbone))
    for layer, weight_name, shape in manifest["layers"]:
        assert _weight_shape(model, layer, weight_name) == tuple(shape), f"{layer} {weight_name}"
    weighted = {layer.name for layer in model.layers if layer.weights}
    assert weighted == {layer for layer, _, _ in manifest["layers"]}
    assert len(model.weights) == len(manifest["layers"])   # no weights beyond the contract


def test_heads_follow_num_classes():
    model = build_inference_model(_config("resnet50", num_classes=3))
    assert _weight_shape(model, "mrcnn_class_logits", "mrcnn_class_logits/kernel:0") == (1024, 3)
    assert _weight_shape(model, "mrcnn_class_logits", "mrcnn_class_logits/bias:0") == (3,)
    assert _weight_shape(model, "mrcnn_bbox_fc", "mrcnn_bbox_fc/kernel:0") == (1024, 12)
    assert _weight_shape(model, "mrcnn_mask", "mrcnn_mask/kernel:0") == (1, 1, 256, 3)
    assert [t.name for t in model.inputs] == ["input_image", "input_image_meta", "input_anchors"]
    assert tuple(model.inputs[1].shape) == (None, 15)
    detections, mrcnn_class, mrcnn_bbox, mrcnn_mask, rois, rpn_class, rpn_bbox = model.outputs
    assert tuple(detections.shape)[1:] == (100, 6)
    assert tuple(mrcnn_class.shape)[-1] == 3
    assert tuple(mrcnn_bbox.shape)[-2:] == (3, 4)
    assert tuple(mrcnn_mask.shape)[1:] == (100, 28, 28, 3)
    assert tuple(rois.shape)[1:] == (1000, 4)
    assert tuple(rpn_class.shape)[-1] == 2 and tuple(rpn_bbox.shape)[-1] == 4


def test_inference_batch_norm_uses_its_moving_statistics_whatever_train_bn_says(r50_weights):
    """TRAIN_BN=True (BatchNorm learns while training) builds the same inference model:
    the same detections as TRAIN_BN=False, not each image's own batch statistics."""
    import numpy as np

    from tests.helpers import skimage_image

    image = skimage_image("coffee")
    results = []
    for train_bn in (False, True):
        config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256,
                                     IMAGE_MAX_DIM=256, TRAIN_BN=train_bn,
                                     DETECTION_MIN_CONFIDENCE=0.3)
        model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
        model.load_weights(r50_weights)
        results.append(model.detect([image])[0])
    assert len(results[0]["scores"]) > 0
    for key in ("rois", "class_ids", "scores"):
        np.testing.assert_array_equal(results[1][key], results[0][key])
