"""COMPUTE_DTYPE: convolution stacks in low precision, box maths and heads in float32."""
from __future__ import annotations

import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.weights.h5file import read_weights


@pytest.fixture(scope="module")
def bf16_model(r50_weights):
    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128,
                                 IMAGE_MAX_DIM=128, COMPUTE_DTYPE="bfloat16")
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    model.load_weights(r50_weights)
    return model


def test_layers_compute_in_the_right_dtype(bf16_model):
    km = bf16_model.keras_model
    for name in ("conv1", "res4a_branch2a", "bn_conv1", "fpn_p2"):
        assert km.get_layer(name).compute_dtype == "bfloat16", name
    for name in ("ROI", "roi_align_classifier", "mrcnn_class_conv1", "mrcnn_detection",
                 "mrcnn_mask", "mrcnn_mask_rois"):
        assert km.get_layer(name).compute_dtype == "float32", name
    rpn = km.get_layer("rpn_model")
    assert rpn.get_layer("rpn_conv_shared").compute_dtype == "bfloat16"
    assert rpn.get_layer("rpn_class_xxx").compute_dtype == "float32"  # softmax


def test_weights_load_rounded_once_to_bfloat16(bf16_model, r50_weights):
    """The package's convolutions hold bfloat16 weights (the file's values rounded once);
    BatchNorm keeps float32 statistics, unrounded."""
    import keras

    km = bf16_model.keras_model
    stored = read_weights(r50_weights)
    conv1 = dict(stored["conv1"])["conv1/kernel:0"]
    assert km.get_layer("conv1").kernel.dtype == "bfloat16"
    assert km.get_layer("rpn_model").get_layer("rpn_conv_shared").kernel.dtype == "bfloat16"
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(km.get_layer("conv1").kernel).astype(np.float32),
        keras.ops.convert_to_numpy(keras.ops.cast(conv1, "bfloat16")).astype(np.float32))
    bn = km.get_layer("bn_conv1")
    assert bn.compute_dtype == "bfloat16" and bn.moving_variance.dtype == "float32"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(bn.moving_variance),
                                  dict(stored["bn_conv1"])["bn_conv1/moving_variance:0"])
    assert km.get_layer("mrcnn_class_conv1").kernel.dtype == "float32"  # heads in float32


def test_bfloat16_weights_compute_what_casting_per_call_computes():
    """The premise of storing them: a Conv2D with bfloat16 weights gives bit for bit what
    the mixed policy's float32 weights, cast on every call, give."""
    import keras

    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(0, 0.1, (3, 3, 8, 16)), rng.normal(0, 0.1, 16)
    x = rng.normal(0, 1, (1, 12, 12, 8)).astype(np.float32)
    outputs = []
    for policy in ("mixed_bfloat16", "bfloat16"):
        conv = keras.layers.Conv2D(16, 3, dtype=policy)
        conv.build(x.shape)
        conv.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        outputs.append(keras.ops.convert_to_numpy(conv(x)).astype(np.float32))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_saving_bfloat16_weights_writes_their_rounded_values(bf16_model, tmp_path):
    import keras

    path = tmp_path / "bf16.h5"
    bf16_model.save_weights(path)
    written = dict(read_weights(path)["conv1"])["conv1/kernel:0"]
    assert written.dtype == np.float32
    np.testing.assert_array_equal(
        written, keras.ops.convert_to_numpy(
            bf16_model.keras_model.get_layer("conv1").kernel).astype(np.float32))


def test_detect_returns_float32_results(bf16_model):
    image = np.random.default_rng(0).integers(0, 255, (100, 120, 3), dtype=np.uint8)
    result = bf16_model.detect([image])[0]
    assert result["scores"].dtype == np.float32 and result["rois"].dtype == np.int32
    assert result["masks"].shape[:2] == (100, 120)


def test_bfloat16_computes_what_float32_computes_to_within_its_precision(bf16_model,
                                                                         r50_weights):
    """Same weights and input: the RPN's outputs (end of the bfloat16 stack) in bfloat16 are
    the float32 ones up to bfloat16's rounding (~1-2 % relative here), not merely of the
    right dtype and shape; and they do differ, so bfloat16 really ran."""
    from mrcnn_tf.inference.preprocessing import mold_inputs
    from mrcnn_tf.ops.anchors import anchors_for_image_shape
    from tests.helpers import skimage_image

    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128,
                                 IMAGE_MAX_DIM=128)
    f32_model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    f32_model.load_weights(r50_weights)
    molded, metas, _ = mold_inputs([skimage_image("astronaut")], config)
    anchors = anchors_for_image_shape(molded.shape[1:3], config)[None]
    outputs = [[np.asarray(x, np.float32) for x in model.keras_model(
        [molded, metas, anchors], training=False)] for model in (f32_model, bf16_model)]
    for index, name in ((5, "rpn_class"), (6, "rpn_bbox")):
        exact, low = outputs[0][index], outputs[1][index]
        relative = np.linalg.norm(low - exact) / np.linalg.norm(exact)
        assert 1e-4 < relative < 0.05, (name, relative)
        assert np.corrcoef(exact.ravel(), low.ravel())[0, 1] > 0.99, name


def test_building_does_not_leak_the_policy(bf16_model):
    import keras
    assert keras.config.dtype_policy().name == "float32"


def test_unknown_precision_is_rejected():
    with pytest.raises(ValueError, match="COMPUTE_DTYPE"):
        mrcnn_tf.Config(NUM_CLASSES=2, COMPUTE_DTYPE="float8")


def test_auto_picks_native_low_precision_only():
    from mrcnn_tf.modeling.precision import choose_compute_dtype

    assert choose_compute_dtype({"avx2", "fma"}, has_gpu=False)[0] == "float32"
    assert choose_compute_dtype({"avx512f", "avx512_bf16"}, has_gpu=False)[0] == "bfloat16"
    assert choose_compute_dtype({"amx_bf16", "amx_tile"}, has_gpu=False)[0] == "bfloat16"
    assert choose_compute_dtype({"avx2"}, has_gpu=True)[0] == "float16"
    assert "no native bfloat16" in choose_compute_dtype(set(), has_gpu=False)[1]


def test_auto_model_says_what_it_picked_for_this_machine(r50_weights):
    """On this machine's CPU flags (read from /proc/cpuinfo, as "auto" does)."""
    from mrcnn_tf.modeling.precision import choose_compute_dtype, cpu_flags

    config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128,
                                 IMAGE_MAX_DIM=128, COMPUTE_DTYPE="auto")
    model = mrcnn_tf.MaskRCNN(mode="inference", config=config)
    expected = choose_compute_dtype(cpu_flags(), has_gpu=False)[0]
    assert model.compute_dtype == expected
    assert model.keras_model.get_layer("res4a_branch2a").compute_dtype == expected
    assert model.keras_model.get_layer("mrcnn_class_conv1").compute_dtype == "float32"


@pytest.fixture(scope="module")
def heads_models(r50_weights):
    """bfloat16 models on the same weights, heads in float32 (False) and bfloat16 (True)."""
    models = {}
    for heads in (False, True):
        config = mrcnn_tf.CocoConfig(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=128,
                                     IMAGE_MAX_DIM=128, COMPUTE_DTYPE="bfloat16",
                                     LOW_PRECISION_HEADS=heads)
        models[heads] = mrcnn_tf.MaskRCNN(mode="inference", config=config)
        models[heads].load_weights(r50_weights)
    return models


def _astronaut_inputs(config):
    from mrcnn_tf.inference.preprocessing import mold_inputs
    from mrcnn_tf.ops.anchors import anchors_for_image_shape
    from tests.helpers import skimage_image

    molded, metas, _ = mold_inputs([skimage_image("astronaut")], config)
    return [molded, metas, anchors_for_image_shape(molded.shape[1:3], config)[None]]


def test_low_precision_heads_run_the_head_convolutions_in_the_compute_dtype(heads_models):
    """LOW_PRECISION_HEADS: the classifier's and mask head's convolutions in bfloat16, their
    output layers (and everything detection reads) float32; the class probabilities the heads
    give are the float32 heads' up to bfloat16's rounding (the masks: the next test)."""
    km = heads_models[True].keras_model
    for name in ("mrcnn_class_conv1", "mrcnn_class_bn2", "mrcnn_mask_conv1", "mrcnn_mask_bn4",
                 "mrcnn_mask_deconv"):
        assert km.get_layer(name).compute_dtype == "bfloat16", name
    for name in ("roi_align_classifier", "roi_align_mask", "mrcnn_class_logits",
                 "mrcnn_bbox_fc", "mrcnn_mask", "mrcnn_detection"):
        assert km.get_layer(name).compute_dtype == "float32", name
    inputs = _astronaut_inputs(heads_models[True].config)
    outputs = {heads: [np.asarray(x) for x in model.keras_model(inputs, training=False)]
               for heads, model in heads_models.items()}
    # same proposals (the RPN is bfloat16 in both): the class probabilities are comparable
    np.testing.assert_array_equal(outputs[True][4], outputs[False][4])
    exact, low = outputs[False][1], outputs[True][1]  # mrcnn_class [1, R, C]
    assert low.dtype == np.float32 and outputs[True][3].dtype == np.float32
    relative = np.linalg.norm(low - exact) / np.linalg.norm(exact)
    assert 1e-5 < relative < 0.05, relative


def _mask_head_on(model, inputs, detections):
    """The model's own mask head (its graph, its layers) run on the given detection rows
    [1, D, 6] instead of those its detection layer finds."""
    import keras

    km = model.keras_model
    given = km.get_layer("mrcnn_detection").output
    head = keras.Model(km.inputs + [given], km.get_layer("mrcnn_mask_rois").output)
    return np.asarray(head(inputs + [detections], training=False))


def test_low_precision_mask_head_gives_the_float32_masks(heads_models):
    """The bfloat16 mask head's probabilities are the float32 head's up to bfloat16's rounding
    (mean difference ~0.005 measured, 0.26 with its deconvolution's ReLU dropped and 0.35 with
    two convolutions' weights swapped), the masks thresholded at 0.5 overlap (IoU ~0.99
    measured; 0.59 and 0.35 broken), and the two differ, so bfloat16 really ran. Both heads get
    the same detection rows: the first D proposals (the same in both: the RPN is bfloat16 in
    each), one class each, cycling through all of them, so no threshold or CPU rounding decides
    which rows are compared."""
    config = heads_models[False].config
    inputs = _astronaut_inputs(config)
    rois = np.asarray(heads_models[False].keras_model(inputs, training=False)[4])
    count = config.DETECTION_MAX_INSTANCES
    class_ids = 1 + np.arange(count) % (config.NUM_CLASSES - 1)
    detections = np.concatenate([rois[0, :count], class_ids[:, None], np.ones((count, 1))],
                                axis=-1)[None].astype(np.float32)
    exact, low = (_mask_head_on(heads_models[heads], inputs, detections)
                  for heads in (False, True))
    assert exact.shape == low.shape == (1, count, 28, 28, config.NUM_CLASSES)
    assert low.dtype == np.float32
    difference = np.abs(low - exact)
    mean, rare = float(difference.mean()), float(np.quantile(difference, 0.999))
    rows = np.arange(count)
    exact_masks, low_masks = (m[0, rows, :, :, class_ids] > 0.5 for m in (exact, low))
    assert exact_masks.mean() > 0.05, "too few mask pixels to compare"
    iou = float((exact_masks & low_masks).sum() / (exact_masks | low_masks).sum())
    stats = f"mean difference {mean:.5f}, 99.9th percentile {rare:.4f}, mask IoU {iou:.4f}"
    assert 1e-4 < mean < 0.015 and rare < 0.3, stats
    assert iou > 0.95, stats


def test_low_precision_heads_must_be_a_bool():
    with pytest.raises(ValueError, match="LOW_PRECISION_HEADS"):
        mrcnn_tf.Config(NUM_CLASSES=2, LOW_PRECISION_HEADS="yes")
