"""Public names imported on first use, so importing a package stays light (no TensorFlow for
``mrcnn-tf --help``, no pycocotools or Beam until they are needed).

    __getattr__, __dir__ = lazy_attributes(__name__, {"fetch": "mrcnn_tf.weights.fetch"})
"""
from __future__ import annotations

import importlib
import sys


def lazy_attributes(package: str, table: dict) -> tuple:
    """(__getattr__, __dir__) for a package module.

    table: public name -> "module" (its attribute of the same name) or (module, attribute),
    attribute None for the module itself. A name is imported on first access and then kept in
    the package's namespace; other names raise AttributeError as usual.
    """
    def __getattr__(name):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        entry = table[name]
        module_name, attribute = (entry, name) if isinstance(entry, str) else entry
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        vars(sys.modules[package])[name] = value
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
