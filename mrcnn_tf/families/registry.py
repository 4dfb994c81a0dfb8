"""The registered model families, and which one a Config or a weights file belongs to."""
from __future__ import annotations

import os

_FAMILIES = []
_BUILT_IN = []  # the built-in families, once registered


def register(family) -> None:
    """Add a ModelFamily (its architectures must not be another family's)."""
    _register_built_in()
    taken = {a for f in _FAMILIES if f is not family for a in f.architectures}
    clash = taken.intersection(family.architectures)
    if clash:
        raise ValueError(f"family {family.name!r}: architectures {sorted(clash)} are taken")
    if family not in _FAMILIES:
        _FAMILIES.append(family)


def families() -> tuple:
    """The registered families, in registration order (the built-in ones first)."""
    _register_built_in()
    return tuple(_FAMILIES)


def family_for(config):
    """The family that owns config (a Config); ValueError naming the known architectures."""
    return family_for_architecture(config.ARCHITECTURE)


def family_for_architecture(architecture: str):
    """The family whose architectures include architecture (a Config.ARCHITECTURE value);
    ValueError naming the known ones."""
    for family in families():
        if architecture in family.architectures:
            return family
    known = ", ".join(a for f in _FAMILIES for a in f.architectures)
    raise ValueError(f"Config.ARCHITECTURE={architecture!r}: no model family has it; "
                     f"known: {known}")


def family_named(name: str):
    """The registered family called name ("matterport", "torchvision", ...); ValueError
    listing the names."""
    for family in families():
        if family.name == name:
            return family
    raise ValueError(f"no model family is called {name!r}; known: "
                     f"{', '.join(f.name for f in _FAMILIES)}")


def family_for_file(path):
    """The first family (latest registered first) that recognizes the weights file;
    matterport's family, registered first, takes any file no other family claims."""
    for family in reversed(families()):
        if family.recognizes(os.fspath(path)):
            return family
    raise ValueError(f"{os.fspath(path)!r}: no model family recognizes this weights file")


def _register_built_in() -> None:
    """Put matterport's and torchvision's families first, once (on first use, so that
    importing the registry loads no TensorFlow)."""
    if _BUILT_IN:
        return
    from mrcnn_tf.families.matterport import MATTERPORT
    from mrcnn_tf.families.torchvision import TORCHVISION

    _BUILT_IN.extend((MATTERPORT, TORCHVISION))
    added = [f for f in _FAMILIES if f not in _BUILT_IN]
    _FAMILIES[:] = list(_BUILT_IN)
    for family in added:
        register(family)
