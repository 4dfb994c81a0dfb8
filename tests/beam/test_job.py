"""BeamDetectJob's class names come with its weights unless given."""
from __future__ import annotations

from tests.helpers import require_extra

require_extra("apache_beam", "beam")

from mrcnn_tf.beam.pipeline import BeamDetectJob  # noqa: E402
from mrcnn_tf.class_names import COCO_CLASS_NAMES, TORCHVISION_COCO_CLASS_NAMES  # noqa: E402


def test_names_follow_the_weights(r50_weights):
    torchvision = BeamDetectJob("in/*.png", "out/run", weights="torchvision-v2")
    assert torchvision.class_names == list(TORCHVISION_COCO_CLASS_NAMES)
    assert torchvision.model_config().NUM_CLASSES == 91
    matterport = BeamDetectJob("in/*.png", "out/run", weights=str(r50_weights))
    assert matterport.class_names == list(COCO_CLASS_NAMES)
    given = BeamDetectJob("in/*.png", "out/run", weights=str(r50_weights),
                          class_names=["BG", "a", "b"])
    assert given.class_names == ["BG", "a", "b"]
