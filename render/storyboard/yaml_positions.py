"""Reading YAML with positions: every value's and every key's line and column, by field path.

`compose(text, file)` turns a YAML document into plain Python values and a `Converter` whose
`value_marks` and `key_marks` map a field path (`chapters[2].prompt`) to where it was written.
Duplicate keys, recursive aliases, tabs in indentation, non-UTF-8 bytes and oversized documents
(alias bombs, runaway nesting) become `Problem`s instead of exceptions from the YAML library.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from render.storyboard.problems import Problem, StoryboardError

# Whole-document guards: these only stop pathological input (alias bombs, runaway nesting).
_MAX_NODES = 200_000
_MAX_DEPTH = 64

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def path_str(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "(document)"


def _path_parents(field: str) -> list[str]:
    """'chapters[2].groups.a[1]' -> itself, then 'chapters[2].groups.a', ... down to ''."""
    parents = [field]
    while field:
        cut = max(field.rfind("."), field.rfind("["))
        field = field[:cut] if cut > 0 else ""
        parents.append(field or "(document)")
        if field == "":
            break
    return parents


def locate(field: str, marks: dict[str, tuple[int, int]]) -> tuple[int, int]:
    for candidate in _path_parents(field):
        if candidate in marks:
            return marks[candidate]
    return (1, 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads YAML 1.2 floats such as 1e3 (PyYAML reads them as text)."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class Converter:
    """Turns a composed YAML node tree into plain Python values, remembering where each value
    and each mapping key was written, and collecting duplicate keys and similar problems."""

    def __init__(self, loader: _Loader, file: str):
        self.loader = loader
        self.file = file
        self.value_marks: dict[str, tuple[int, int]] = {}
        self.key_marks: dict[str, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self.active: set[int] = set()

    @staticmethod
    def _pos(node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: yaml.Node, path: tuple[Any, ...], message: str) -> None:
        line, column = self._pos(node)
        self.problems.append(Problem(self.file, line, column, path_str(path), message))

    def convert(self, node: yaml.Node, path: tuple[Any, ...] = ()) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _TooLarge(node)
        if len(path) > _MAX_DEPTH:
            raise _TooDeep(node)
        key = path_str(path)
        self.value_marks.setdefault(key, self._pos(node))
        if id(node) in self.active:
            self.problem(node, path, "an alias refers to itself; recursive structures are not allowed")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            return self.loader.construct_object(node, deep=True)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: tuple[Any, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_source(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a key must be plain text, not a list or mapping")
                continue
            # Keys are taken as written: `on:` or `1:` name a field, they are not a boolean or number.
            name = str(key_node.value)
            child = (*path, name)
            if name in first_seen:
                line, column = first_seen[name]
                self.problem(
                    key_node,
                    child,
                    f"duplicate key {name!r} (first written at {line}:{column}); each key may appear once",
                )
                continue
            first_seen[name] = self._pos(key_node)
            self.key_marks[path_str(child)] = self._pos(key_node)
            result[name] = self.convert(value_node, child)
        for name, value in merged.items():
            result.setdefault(name, value)
        return result

    def _merge_source(self, node: yaml.Node, path: tuple[Any, ...]) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.convert(source, path)
            if isinstance(value, dict):
                for k, v in value.items():
                    merged.setdefault(k, v)
            else:
                self.problem(source, path, "'<<' (merge) needs a mapping or a list of mappings")
        return merged


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node):
        self.node = node


class _TooDeep(_TooLarge):
    pass


def read_text(path: Path, file: str) -> str:
    def fail(message: str) -> StoryboardError:
        return StoryboardError([Problem(file, 1, 1, "(file)", message)])

    if not path.exists():
        raise fail(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise fail(f"{str(path)!r} is a directory, not a storyboard file")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise fail(f"cannot read {str(path)!r}: permission denied") from None
    except OSError as exc:
        raise fail(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise StoryboardError(
            [
                Problem(
                    file,
                    line,
                    column,
                    "(file)",
                    f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8",
                )
            ]
        ) from None


def _tab_problems(text: str, file: str) -> list[Problem]:
    problems = []
    for n, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            problems.append(
                Problem(
                    file,
                    n,
                    indent.index("\t") + 1,
                    "(indentation)",
                    "a tab is used for indentation; YAML indentation must use spaces",
                )
            )
    return problems


def _yaml_error_problem(exc: yaml.YAMLError, text: str, file: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        # Reader errors carry a character offset, not a mark.
        pos = exc.position
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return Problem(
            file,
            line,
            column,
            "(file)",
            f"character U+{char:04X} is a control character YAML does not allow; remove it",
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = exc.problem or "invalid YAML"
        if exc.context:
            detail = f"{exc.context}: {detail}"
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            detail += f" (started at {exc.context_mark.line + 1}:{exc.context_mark.column + 1})"
        return Problem(file, line, column, "(syntax)", f"YAML syntax error: {detail}")
    return Problem(file, 1, 1, "(syntax)", f"YAML error: {exc}")


def compose(text: str, file: str) -> tuple[Any, Converter]:
    loader: _Loader | None = None
    try:
        try:
            loader = _Loader(text)
            node = loader.get_single_node()
            if node is None:
                raise StoryboardError(
                    [
                        Problem(
                            file,
                            1,
                            1,
                            "(document)",
                            "the file is empty; a storyboard needs title and chapters",
                        )
                    ]
                )
            converter = Converter(loader, file)
            data = converter.convert(node)
        except yaml.YAMLError as exc:
            problems = [_yaml_error_problem(exc, text, file)]
            tabs = _tab_problems(text, file)
            if tabs:
                # A tab in the indentation is the usual cause; say that instead of the scanner's words.
                tab_lines = {p.line for p in tabs}
                problems = [p for p in problems if p.line not in tab_lines and "\\t" not in p.message]
                problems = tabs + problems
            raise StoryboardError(problems) from None
        except RecursionError:
            raise StoryboardError(
                [Problem(file, 1, 1, "(document)", "the file is nested too deeply to be a storyboard")]
            ) from None
        except _TooLarge as exc:
            what = "nested too deeply" if isinstance(exc, _TooDeep) else "too large (aliases expand too far)"
            line, column = Converter._pos(exc.node)
            raise StoryboardError([Problem(file, line, column, "(document)", f"the document is {what}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, converter
