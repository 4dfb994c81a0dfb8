"""The package is a house of floors: a module imports only from its own floor or below.

Read with ``ast`` from the source (imports inside functions count too), so a lazy import
cannot hide an upward one. docs/architecture.md explains the floors.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mrcnn_tf"

# top-level module or package of mrcnn_tf -> floor
FLOORS = {
    "__init__": 0, "__version__": 0, "config": 0, "class_names": 0, "output_folders": 0,
    "lazy": 0,
    "ops": 1,
    "layers": 2,
    "modeling": 3, "weights": 3,
    "inference": 4, "training": 4, "results": 4, "visualize": 4, "filtering": 4,
    "extract": 4, "data": 4, "evaluation": 4, "image_decode": 4,
    "model": 5,
    "export": 6, "video": 6, "beam": 6, "serve": 6,
    "cli": 7,
}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path):
    """(line, imported unit) for every mrcnn_tf import in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mrcnn_tf":
                yield from ((node.lineno, alias.name) for alias in node.names)
            elif node.module.startswith("mrcnn_tf."):
                yield node.lineno, _unit(node.module)
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, _unit(a.name)) for a in node.names
                        if a.name.startswith("mrcnn_tf."))


def test_every_top_level_module_has_a_floor():
    units = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert units <= set(FLOORS), f"give these a floor: {sorted(units - set(FLOORS))}"


def test_no_module_imports_from_a_higher_floor():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _unit(".".join(relative.parts).removesuffix(".__init__"))
        for line, unit in imports_of(path):
            if unit in FLOORS and FLOORS[unit] > FLOORS[own]:
                upward.append(f"{relative}.py:{line} ({own}, floor {FLOORS[own]}) imports "
                              f"{unit} (floor {FLOORS[unit]})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_the_floor_check_sees_an_upward_import(tmp_path):
    """The reader finds lazy imports inside functions (the ones that hid a circle before)."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from mrcnn_tf.cli.main import main\n    import mrcnn_tf.serve\n")
    assert list(imports_of(module)) == [(2, "cli"), (3, "serve")]
