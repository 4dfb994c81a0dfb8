"""families.registry: which family a Config, a name or a weights file belongs to, and a family
registered from outside the package taking its place beside the built-in ones."""
from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

import mrcnn_tf
from mrcnn_tf.families import ModelFamily, registry
from mrcnn_tf.families.matterport import MATTERPORT
from mrcnn_tf.families.torchvision import TORCHVISION

PACKAGE = Path(mrcnn_tf.__file__).resolve().parent


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


FAMILY_BRANCH = re.compile(r"ARCHITECTURE\s*[!=]=|family\s*[!=]=|\.family\.name\s*[!=]=|"
                           r"family_name\s*[!=]=|[!=]=\s*[\"'](matterport|torchvision)[\"']|"
                           r"[\"'](matterport|torchvision)[\"']\s*[!=]=")


def family_branches(root=PACKAGE) -> list:
    """file:line of code outside families/ that compares with a family or architecture."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == "families":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FAMILY_BRANCH.search(line.split("#")[0]):
                found.append(f"{path.relative_to(root)}:{number}")
    return found


def test_no_code_outside_families_branches_on_a_family():
    assert family_branches() == [], "ask the family (families.family_for) instead"


def test_the_branch_check_sees_a_planted_branch(tmp_path):
    (tmp_path / "families").mkdir()
    (tmp_path / "families" / "ok.py").write_text('if config.ARCHITECTURE == "x":\n    pass\n')
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "planted.py").write_text(
        'a = 1\nif model.config.ARCHITECTURE == "matterport":\n    pass\n'
        'if info.family != "torchvision":\n    pass\n')
    assert family_branches(tmp_path) == ["cli/planted.py:2", "cli/planted.py:4"]
