"""The code's layout keeps its promises: no import cycles between the project's modules, and no executor
imports a stage (see also test_scenes).

Every import counts, wherever it runs: at module level, inside a function (it runs later, on use, but
it is still a dependency), and by string: a module name handed to importlib (`"render.stages.clips"`)
or code in a string run by another interpreter (`"from render.stages.preview import work"`).
Only imports under `if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("render", "scenes")
MODULE_NAME = re.compile(r"^(?:render|scenes)(?:\.\w+)+$")
CODE_IMPORT = re.compile(
    r"(?:^|[;\s])(?:from\s+((?:render|scenes)(?:\.\w+)*)\s+import\s+(\w+(?:\s*,\s*\w+)*)|import\s+((?:render|scenes)(?:\.\w+)*))"
)


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes: prose that may name modules without importing them."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of every node under `if TYPE_CHECKING:`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            found |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return found


def _module_imports(path: Path, root: Path = ROOT) -> set[str]:
    """The project modules `path` imports, anywhere in it, by statement or by string."""
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree) | _type_checking_only(tree)
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: from .x import y
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([module] if module else [])])
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if MODULE_NAME.match(node.value):
                names.add(node.value)
            for match in CODE_IMPORT.finditer(node.value):
                if match.group(1):
                    names.add(match.group(1))
                    names |= {f"{match.group(1)}.{name.strip()}" for name in match.group(2).split(",")}
                else:
                    names.add(match.group(3))
    return {n for n in names if n.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    return {name: {m for m in _module_imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_no_import_cycles():
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


def _names_in_code(path: Path) -> set[str]:
    """String constants (not docstrings) and imported module names of a module."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.add(node.value)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_a_kind_is_named_only_by_its_module_its_scene_and_the_registry():
    from render.kinds import KINDS

    files = [p for package in ("render", "scenes") for p in (ROOT / package).rglob("*.py")]
    code = {p: _names_in_code(p) for p in files}
    for name in KINDS:
        naming = sorted(
            _module_name(p)
            for p, names in code.items()
            if name in names or f"render.kinds.{name}" in names or f"scenes.{name}" in names
        )
        assert set(naming) <= {f"render.kinds.{name}", f"scenes.{name}", "render.kinds"}, (name, naming)


ABOVE_EXECUTORS = ("render.session", "render.run", "render.cli")


def test_no_executor_imports_a_stage_or_the_session():
    """Executors only map tasks: the work lives beside each stage, and the stages import the executors."""
    graph = _graph()
    executors = [m for m in graph if m == "render.executors" or m.startswith("render.executors.")]
    assert executors
    for module in executors:
        above = sorted(m for m in graph[module] if m.startswith("render.stages") or m in ABOVE_EXECUTORS)
        assert above == [], f"{module} imports {above}"


def test_the_speech_base_class_imports_none_of_its_engines():
    engines = {"render.speech.piper", "render.speech.espeak", "render.speech.silent", "render.speech.services"}
    assert not _graph()["render.speech.base"] & engines


def test_imports_inside_functions_and_in_strings_are_counted(tmp_path):
    """The detector itself: a lazy import, an importlib name and code in a string are found; prose is not."""
    source = tmp_path / "render" / "example.py"
    source.parent.mkdir()
    source.write_text(
        '"""Mentions render.stages.clips in prose only."""\n'
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from render.session import Session\n"
        "def later():\n    from render.stages.export import export_slides\n"
        "NAME = 'render.stages.generate'\n"
        "CODE = 'import sys; from render.stages.preview import work, publish'\n"
    )
    assert _module_imports(source, root=tmp_path) == {
        "render.stages.export",
        "render.stages.export.export_slides",
        "render.stages.generate",
        "render.stages.preview",
        "render.stages.preview.work",
        "render.stages.preview.publish",
    }
