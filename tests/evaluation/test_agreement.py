"""The parity criterion (evaluation.agreement) fails when detections disagree: the parity,
export and serving tests lean on it, so it must be able to say no."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import mrcnn_tf
from mrcnn_tf.evaluation.agreement import compare_detections
from tests.helpers import make_weights, reference_results, skimage_image

SMALL = dict(BACKBONE="resnet50", IMAGES_PER_GPU=1, IMAGE_MIN_DIM=256, IMAGE_MAX_DIM=256,
             DETECTION_MIN_CONFIDENCE=0.3)


@pytest.fixture(scope="module")
def chelsea():
    """matterport's 6 reference detections of chelsea (300x451)."""
    reference = reference_results("chelsea")
    assert len(reference["class_ids"]) >= 2
    return reference


def changed(reference, **edits):
    ours = copy.deepcopy(reference)
    for key, edit in edits.items():
        ours[key] = edit(ours[key])
    return ours


def test_identical_sets_pass(chelsea):
    agreement = compare_detections(chelsea, copy.deepcopy(chelsea), (300, 451))
    assert agreement.passes() and agreement.matched == len(chelsea["class_ids"])


def test_a_shifted_box_fails(chelsea):
    def shift(rois):
        rois[0] += np.array([0, 1, 0, 1]) * max((rois[0][3] - rois[0][1]) // 5, 1)
        return rois
    agreement = compare_detections(chelsea, changed(chelsea, rois=shift), (300, 451))
    assert not agreement.passes() and agreement.matched == len(chelsea["class_ids"]) - 1


def test_a_changed_class_fails(chelsea):
    def relabel(ids):
        ids[-1] = 1 if ids[-1] != 1 else 2
        return ids
    assert not compare_detections(chelsea, changed(chelsea, class_ids=relabel),
                                  (300, 451)).passes()


def test_a_score_off_by_003_fails(chelsea):
    def nudge(scores):
        scores[0] -= 0.03
        return scores
    agreement = compare_detections(chelsea, changed(chelsea, scores=nudge), (300, 451))
    assert not agreement.passes() and agreement.max_score_diff == pytest.approx(0.03, abs=1e-6)


def test_other_masks_or_a_wrong_mask_size_fail(chelsea):
    def hollow(masks):
        return masks & np.roll(masks, 8, axis=0) & np.roll(masks, 8, axis=1)
    assert not compare_detections(chelsea, changed(chelsea, masks=hollow), (300, 451)).passes()
    assert not compare_detections(chelsea, copy.deepcopy(chelsea), (301, 451)).passes()


def test_an_extra_or_a_missing_detection_fails(chelsea):
    extra = {k: np.concatenate([v, v[..., :1]], axis=-1) if k == "masks" else
             np.concatenate([v, v[:1]]) for k, v in chelsea.items()}
    extra["rois"][-1] = [0, 0, 20, 20]  # a box nobody else has
    assert not compare_detections(chelsea, extra, (300, 451)).passes()
    assert not compare_detections(extra, chelsea, (300, 451)).passes()


def test_another_seeds_detections_fail(r50_weights, tmp_path):
    """The same model with weights of seed 1 instead of 0 detects other things."""
    image = skimage_image("astronaut")
    results = []
    for weights in (r50_weights, make_weights("manifest_r50.json", tmp_path / "seed1.h5", seed=1)):
        model = mrcnn_tf.MaskRCNN(mode="inference", config=mrcnn_tf.CocoConfig(**SMALL))
        model.load_weights(weights)
        results.append(model.detect([image])[0])
    seed0, seed1 = results
    assert len(seed0["class_ids"]) and len(seed1["class_ids"]), "nothing detected: proves nothing"
    assert compare_detections(seed0, seed0, image.shape[:2]).passes()
    assert not compare_detections(seed0, seed1, image.shape[:2]).passes()


def test_identical_thin_boxes_match():
    """A box that rounds to no height (y1 == y2) on both sides is the same box: it matches
    (box_iou alone says 0 for two empty boxes), while a thin box elsewhere does not."""
    masks = np.zeros((40, 40, 2), bool)
    masks[10, 5:30, 0] = masks[20:30, 20:30, 1] = True
    reference = dict(rois=np.array([[10, 5, 10, 30], [20, 20, 30, 30]], np.int32),
                     class_ids=np.array([3, 7], np.int32),
                     scores=np.array([0.9, 0.8], np.float32), masks=masks)
    agreement = compare_detections(reference, copy.deepcopy(reference), (40, 40))
    assert agreement.matched == 2 and agreement.passes()
    moved = changed(reference, rois=lambda r: r + np.array([[1, 0, 1, 0], [0, 0, 0, 0]]))
    assert compare_detections(reference, moved, (40, 40)).matched == 1
