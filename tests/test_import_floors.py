"""The package is a house of floors: a module imports only from its own floor or below.

Read with ``ast`` from the source (imports inside functions count too), so a lazy import
cannot hide an upward one. What counts as an import of a unit (a top-level module or package):
- ``import mrcnn_tf.x``, ``from mrcnn_tf.x import y`` and relative imports (``from ..x import
  y``, ``from . import y``), resolved to absolute names first;
- ``from mrcnn_tf import Name`` (and ``mrcnn_tf.Name`` after ``import mrcnn_tf``): the unit
  that defines Name, found through the package's lazy table (mrcnn_tf.lazy) or its eager
  imports; the same for a subpackage's names (``from mrcnn_tf.evaluation import ...``);
- ``importlib.import_module("mrcnn_tf.x")`` (or ``__import__``): the string names the unit; an
  f-string or ``+`` whose literal start names no unit is reported as unreadable; a call with a
  variable makes every "mrcnn_tf.x" string of that file an import (cli.main's command table);
- a subpackage's lazy table: each target is an import of the subpackage. The top package's
  table is its public face (floor 0 naming every floor); its names are checked where used.
docs/architecture.md explains the floors.
"""
from __future__ import annotations

import ast
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mrcnn_tf"
TOP = PACKAGE.name

# top-level module or package of mrcnn_tf -> floor
FLOORS = {
    "__init__": 0, "__version__": 0, "config": 0, "class_names": 0, "output_folders": 0,
    "lazy": 0,
    "ops": 1,
    "layers": 2,
    "modeling": 3, "weights": 3,
    "inference": 4, "training": 4, "results": 4, "visualize": 4, "filtering": 4,
    "extract": 4, "data": 4, "evaluation": 4, "image_decode": 4,
    "model": 5, "families": 5,
    "export": 6, "video": 6, "beam": 6, "serve": 6, "runtime": 6, "training_job": 6,
    "cli": 7,
}

MODULE_STRING = re.compile(rf"{TOP}(\.[A-Za-z_][A-Za-z0-9_]*)+")
UNREADABLE = None  # the unit of a dynamic import whose string does not name one


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path, root: Path) -> tuple:
    """(dotted name, is a package's __init__) of a file under the package folder root."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _absolute(own: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute module of ``from <level dots><module> import ...`` in module own."""
    if level == 0:
        return module or ""
    base = own.split(".") if is_package else own.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _module_path(root: Path, module: str) -> Path | None:
    """The file of an absolute mrcnn_tf module under root, or None."""
    folder = root.parent.joinpath(*module.split("."))
    for candidate in (folder / "__init__.py", folder.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _lazy_table(tree: ast.Module) -> dict:
    """name -> module of a lazy_attributes(__name__, TABLE) call's table (literal or named)."""
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) == "lazy_attributes" \
                and len(node.args) == 2:
            table = node.args[1]
            table = assigned.get(table.id, table) if isinstance(table, ast.Name) else table
            entries = ast.literal_eval(table)
            return {name: entry if isinstance(entry, str) else entry[0]
                    for name, entry in entries.items()}
    return {}


def _eager_names(tree: ast.Module, own: str) -> dict:
    """name -> module for the names a package's __init__ imports at its top level."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            source = _absolute(own, True, node.level, node.module)
            names.update({a.asname or a.name: source for a in node.names})
    return names


@lru_cache(maxsize=None)
def _package_names(init: Path, own: str) -> tuple:
    tree = ast.parse(init.read_text(encoding="utf-8"))
    return _lazy_table(tree), _eager_names(tree, own)


def resolve(root: Path, module: str, name: str) -> str:
    """The unit that ``from module import name`` reaches (module absolute, in mrcnn_tf)."""
    path = _module_path(root, module)
    if path is None or path.name != "__init__.py":
        return _unit(module)
    if _module_path(root, f"{module}.{name}") is not None:
        return _unit(f"{module}.{name}")
    lazy, eager = _package_names(path, module)
    if name in lazy:
        return _unit(lazy[name])
    if name in eager and eager[name].startswith(f"{TOP}."):
        return _unit(eager[name])
    return _unit(module)


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _literal_start(node: ast.AST) -> str | None:
    """The literal text a string expression starts with ("a.b" + x, f"a.{x}", "a.b")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _literal_start(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_start(node.left)
    return None


def _string_import(arg: ast.AST) -> tuple:
    """(is about mrcnn_tf, unit or UNREADABLE) of an import_module argument."""
    start = _literal_start(arg)
    if start is None or not (start == TOP or start.startswith(f"{TOP}.")):
        return False, UNREADABLE
    if isinstance(arg, ast.Constant):
        return True, _unit(start)
    head = start.split(".")
    complete = len(head) > 2 or (len(head) == 2 and start.endswith("."))
    return True, (_unit(start) if complete and head[1] else UNREADABLE)


def _dynamic_imports(nodes: list):
    """(line, unit) of import_module / __import__ calls on mrcnn_tf strings; with a variable
    argument, every mrcnn_tf module string of the file."""
    calls = [n for n in nodes if isinstance(n, ast.Call) and n.args
             and _called_name(n) in ("import_module", "__import__")]
    for call in calls:
        about_us, unit = _string_import(call.args[0])
        if about_us:
            yield call.lineno, unit
    if any(_literal_start(c.args[0]) is None for c in calls):
        yield from ((n.lineno, _unit(n.value)) for n in nodes
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    and MODULE_STRING.fullmatch(n.value))


def _package_aliases(nodes: list) -> set:
    """Names bound to the package: ``import mrcnn_tf [as m]``, ``import mrcnn_tf.x``."""
    return {a.asname or TOP for n in nodes if isinstance(n, ast.Import)
            for a in n.names if a.name == TOP or (a.asname is None and
                                                  a.name.startswith(f"{TOP}."))}


def imports_of(path: Path, root: Path = PACKAGE):
    """(line, imported unit) for every mrcnn_tf import in a file of the package at root."""
    nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    own, is_package = module_name(path, root)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            module = _absolute(own, is_package, node.level, node.module)
            if module == TOP or module.startswith(f"{TOP}."):
                yield from ((node.lineno, resolve(root, module, a.name)) for a in node.names)
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, _unit(a.name)) for a in node.names
                        if a.name.startswith(f"{TOP}."))
    aliases = _package_aliases(nodes)
    yield from ((n.lineno, resolve(root, TOP, n.attr)) for n in nodes
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                and n.value.id in aliases)
    yield from _dynamic_imports(nodes)
    if is_package and own != TOP:
        yield from ((1, _unit(target)) for target in _package_names(path, own)[0].values())


def floor_violations(root: Path = PACKAGE, paths=None) -> list:
    """One line per import that points up (or whose unit a dynamic import hides), in the
    given files of the package at root (default: all of them)."""
    found = []
    for path in sorted(root.rglob("*.py")) if paths is None else paths:
        own = _unit(module_name(path, root)[0])
        where = f"{path.relative_to(root.parent)}"
        for line, unit in sorted(set(imports_of(path, root)), key=str):
            if unit is UNREADABLE:
                found.append(f"{where}:{line} imports a {TOP} module whose name it builds")
            elif unit in FLOORS and FLOORS[unit] > FLOORS[own]:
                found.append(f"{where}:{line} ({own}, floor {FLOORS[own]}) imports {unit} "
                             f"(floor {FLOORS[unit]})")
    return found


def test_every_top_level_module_has_a_floor():
    units = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert units <= set(FLOORS), f"give these a floor: {sorted(units - set(FLOORS))}"


def test_no_module_imports_from_a_higher_floor():
    upward = floor_violations()
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_names_of_the_package_resolve_to_their_defining_unit():
    """The mapping the check relies on, on the real package: lazy names, eager names,
    submodules, subpackage lazy names and the package's own attributes."""
    assert resolve(PACKAGE, TOP, "MaskRCNN") == "model"
    assert resolve(PACKAGE, TOP, "mask_iou") == "ops"
    assert resolve(PACKAGE, TOP, "CocoConfig") == "config"
    assert resolve(PACKAGE, TOP, "COCO_CLASS_NAMES") == "class_names"
    assert resolve(PACKAGE, TOP, "visualize") == "visualize"
    assert resolve(PACKAGE, TOP, "__version__") == "__init__"
    assert resolve(PACKAGE, f"{TOP}.evaluation", "compare_detections") == "evaluation"
    assert resolve(PACKAGE, f"{TOP}.ops.boxes", "iou") == "ops"


def _copy_package(tmp_path: Path) -> Path:
    copy = tmp_path / TOP
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


PLANTED = {
    "relative_upward": ("ops/planted.py", "def f():\n    from ..cli import main\n", 2, "cli"),
    "relative_dot_upward": ("ops/planted.py", "from .. import model\n", 1, "model"),
    "relative_in_subpackage": ("layers/planted.py", "from ..serve.app import x\n", 1, "serve"),
    "lazy_name": ("ops/planted.py", "def f():\n    from mrcnn_tf import MaskRCNN\n", 2,
                  "model"),
    "lazy_name_by_attribute": ("layers/planted.py", "import mrcnn_tf\n\n\ndef f():\n"
                               "    return mrcnn_tf.MaskRCNN\n", 5, "model"),
    "import_module_string": ("ops/planted.py", "import importlib\n\n\ndef f():\n"
                             "    return importlib.import_module('mrcnn_tf.serve.app')\n", 5,
                             "serve"),
    "import_module_fstring": ("modeling/planted.py", "from importlib import import_module\n"
                              "M = import_module(f'mrcnn_tf.video.{1}')\n", 2, "video"),
    "import_module_table": ("inference/planted.py", "import importlib\n"
                            "TABLE = {'x': 'mrcnn_tf.cli.main'}\n\n\ndef f(name):\n"
                            "    return importlib.import_module(TABLE[name])\n", 2, "cli"),
    "import_module_unreadable": ("ops/planted.py", "import importlib\n"
                                 "M = importlib.import_module('mrcnn_tf.' + 'cli')\n", 2,
                                 UNREADABLE),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_upward_import_is_caught(tmp_path, case):
    """Each kind of upward import, planted in a copy of the package, is reported once, with
    its file, line and unit."""
    copy = _copy_package(tmp_path)
    relative, source, line, unit = PLANTED[case]
    (copy / relative).write_text(source, encoding="utf-8")
    found = floor_violations(copy, [copy / relative])
    assert len(found) == 1 and found[0].startswith(f"{TOP}/{relative}:{line} "), found
    expected = (f"imports {unit} (floor {FLOORS[unit]})" if unit else
                f"imports a {TOP} module whose name it builds")
    assert found[0].endswith(expected), found


def test_a_subpackage_lazy_table_pointing_up_is_caught(tmp_path):
    """A lazy name in evaluation (floor 4) that loads cli: caught in the table itself and
    where a lower floor imports the name."""
    copy = _copy_package(tmp_path)
    init = copy / "evaluation" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    planted = text.replace('_LAZY = {', '_LAZY = {"sneaky": "mrcnn_tf.cli.main", ', 1)
    assert planted != text, "evaluation/__init__.py has no _LAZY table to plant in"
    init.write_text(planted, encoding="utf-8")
    (copy / "ops" / "planted.py").write_text("from mrcnn_tf.evaluation import sneaky\n")
    found = floor_violations(copy)
    assert len(found) == 2 + len(floor_violations()), found
    assert f"{TOP}/evaluation/__init__.py:1 (evaluation, floor 4) imports cli (floor 7)" in found
    assert f"{TOP}/ops/planted.py:1 (ops, floor 1) imports cli (floor 7)" in found


def test_imports_on_the_same_floor_or_below_are_not_flagged(tmp_path):
    copy = _copy_package(tmp_path)
    (copy / "serve" / "planted.py").write_text(
        "import importlib\nfrom . import app\nfrom ..ops import boxes\n"
        "from mrcnn_tf import MaskRCNN, CocoConfig\n"
        "M = importlib.import_module('mrcnn_tf.video.reader')\n", encoding="utf-8")
    assert floor_violations(copy, [copy / "serve" / "planted.py"]) == []
