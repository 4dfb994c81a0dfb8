"""Model families: one seam where a family of Mask R-CNN models plugs in.

A family (``base.ModelFamily``) knows its Config values, which weights files are its own, how
to build its Keras models, load its weights, mold and unmold images around its inference
graph, feed its training graph, and which layers its ``layers=`` presets select. The rest of
the package asks the family (``family_for(config)``, ``family_for_file(path)``) instead of
branching on ``Config.ARCHITECTURE``. Two families ship: matterport's (``matterport``) and
torchvision's v1 / v2 (``torchvision``); ``register`` adds another.
"""
from mrcnn_tf.families.base import FamilyInputs, ModelFamily
from mrcnn_tf.families.registry import (families, family_for, family_for_architecture,
                                        family_for_file, family_named, register)

__all__ = ["FamilyInputs", "ModelFamily", "families", "family_for", "family_for_architecture",
           "family_for_file", "family_named", "register"]
