"""families.registry: which family a Config, a name or a weights file belongs to, and a family
registered from outside the package taking its place beside the built-in ones."""
from __future__ import annotations

import types

import pytest

import mrcnn_tf
from mrcnn_tf.families import ModelFamily, registry
from mrcnn_tf.families.matterport import MATTERPORT
from mrcnn_tf.families.torchvision import TORCHVISION


class ToyFamily(ModelFamily):
    name = "toy"
    architectures = ("toy_v1",)

    def recognizes(self, path) -> bool:
        return str(path).endswith(".toy")


@pytest.fixture
def fresh_registry(monkeypatch):
    """The registry as it is, restored after the test."""
    monkeypatch.setattr(registry, "_FAMILIES", list(registry.families()))
    return registry


def test_configs_and_names_find_their_family():
    assert registry.family_for(mrcnn_tf.CocoConfig()) is MATTERPORT
    assert registry.family_for(mrcnn_tf.TorchvisionConfig()) is TORCHVISION
    assert registry.family_for(mrcnn_tf.TorchvisionConfig(ARCHITECTURE="torchvision_v2")) \
        is TORCHVISION
    assert registry.family_named("torchvision") is TORCHVISION
    with pytest.raises(ValueError, match="no model family is called 'tv'; known: matterport, "
                                         "torchvision"):
        registry.family_named("tv")


def test_files_find_their_family(tv_v1_weights, r50_weights, tmp_path):
    assert registry.family_for_file(tv_v1_weights) is TORCHVISION
    assert registry.family_for_file(r50_weights) is MATTERPORT
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not weights")
    assert registry.family_for_file(junk) is MATTERPORT  # whose reader then names the problem
    with pytest.raises(ValueError, match="junk.h5"):
        mrcnn_tf.MaskRCNN.from_weights(junk)


def test_a_family_registered_from_outside(fresh_registry, tmp_path):
    toy = ToyFamily()
    fresh_registry.register(toy)
    assert fresh_registry.families()[:2] == (MATTERPORT, TORCHVISION)
    assert fresh_registry.families()[-1] is toy
    assert fresh_registry.family_for(types.SimpleNamespace(ARCHITECTURE="toy_v1")) is toy
    assert fresh_registry.family_for_file(tmp_path / "w.toy") is toy
    assert fresh_registry.family_named("toy") is toy
    with pytest.raises(ValueError, match=r"architectures \['torchvision_v2'\] are taken"):
        clash = ToyFamily()
        clash.architectures = ("torchvision_v2",)
        fresh_registry.register(clash)


def test_an_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="'mystery'.*known: matterport, torchvision_v1"):
        registry.family_for(types.SimpleNamespace(ARCHITECTURE="mystery"))
