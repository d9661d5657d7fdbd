"""Turning pydantic's validation errors into `Problem`s a person can act on.

Each message names the bad value, says what is wrong and quotes what is allowed (the field's
`description`), suggests the closest name for a misspelt key or kind, and carries the line and
column where the value (or, for unknown keys, the key) was written.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from render.storyboard.problems import Problem, suggest
from render.storyboard.schema import COMMON_FIELDS, ChapterBase, Defaults, ModelConfig, NarrationConfig, VideoConfig
from render.storyboard.yaml_positions import Converter, locate, path_str
from render.words import plural

SECTION_MODELS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "defaults": Defaults,
    "video": VideoConfig,
    "narration": NarrationConfig,
}
# Errors whose own message is the whole story, with what is allowed appended.
_OWN_MESSAGE = ("guidance_below_one", "guidance_too_high", "repeated_value", "too_few_groups")
# Errors whose message follows the bad value ("the text '' is empty").
_VALUE_THEN_MESSAGE = ("blank", "whitespace", "unknown_builtin", "bad_voice")
_RANGE = ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "multiple_of")
_TYPE_NAMES = {
    "int": "an integer",
    "float": "a number",
    "string": "text",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
    "model_attributes": "a mapping",
}


def describe(value: Any) -> str:
    """A value as a message names it: 'the integer 3', "the text 'x'", 'a list of 2 items'."""
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return f"a list of {plural(len(value), 'item')}"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({str(value)[:40]})"


class Messages:
    """Problems for a storyboard model whose chapters are `chapter_models` (kind name -> model)."""

    def __init__(self, storyboard: type[BaseModel], chapter_models: dict[str, type[ChapterBase]]):
        self.storyboard = storyboard
        self.chapter_models = chapter_models

    # ---- which model a path belongs to ------------------------------------------------------

    def _strip_tags(self, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
        """Removes the discriminator tag pydantic puts after `chapters[i]`; returns the kind too."""
        if len(loc) >= 3 and loc[0] == "chapters" and isinstance(loc[1], int) and loc[2] in self.chapter_models:
            return (*loc[:2], *loc[3:]), loc[2]
        return loc, None

    def _owner(self, path: tuple[Any, ...], kind: str | None) -> type[BaseModel] | None:
        """The model whose field is named by the last string in `path` (list indices skipped)."""
        names = [p for p in path if isinstance(p, str)]
        if not names:
            return None
        if len(names) == 1:
            return self.storyboard
        if names[0] == "chapters" and kind is not None:
            return self.chapter_models[kind] if len(names) >= 2 else self.storyboard
        return SECTION_MODELS.get(names[0]) if len(names) == 2 else None

    def _allowed(self, path: tuple[Any, ...], kind: str | None) -> str:
        field_path = list(path)
        # Items of a list and entries of a mapping (a group of prompts) are described by the field that holds them.
        while field_path and (isinstance(field_path[-1], int) or (len(field_path) >= 2 and field_path[-2] == "groups")):
            field_path.pop()
        if not field_path:
            return ""
        model = self._owner(tuple(field_path), kind)
        name = field_path[-1]
        if model is None or name not in model.model_fields:
            return ""
        return model.model_fields[name].description or ""

    # ---- the messages ----------------------------------------------------------------------

    def text(self, error: dict[str, Any], path: tuple[Any, ...], kind: str | None) -> str:
        """The message for one pydantic error at `path` (tags stripped) in a chapter of `kind`."""
        code, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
        allowed = self._allowed(path, kind)
        got = describe(value)
        also = f" (allowed: {allowed})" if allowed else ""
        if code == "missing":
            return f"missing required field {path[-1]!r}" + (f" ({allowed})" if allowed else "")
        if code == "extra_forbidden":
            return self._unknown_field(path, kind)
        if code in ("union_tag_invalid", "union_tag_not_found"):
            return self._unknown_kind(None if code == "union_tag_not_found" else ctx.get("tag"))
        if code == "same_prompts":
            return error["msg"]
        if code == "literal_error":
            suggestion = suggest(value, re.findall(r"'([^']*)'", str(ctx.get("expected", "")))).rstrip(".")
            return f"{got} is not allowed{suggestion} (allowed: {allowed or ctx.get('expected')})"
        if code in _VALUE_THEN_MESSAGE:
            return f"{got} {error['msg']}{also}"
        if code in _OWN_MESSAGE:
            return error["msg"] + also
        if code in _RANGE:
            return f"{got} is out of range: {error['msg'].lower().replace('input ', '')} (allowed: {allowed})"
        if code in ("too_short", "too_long"):
            return f"{got} has too {'few' if code == 'too_short' else 'many'} entries (allowed: {allowed})"
        if code == "string_pattern_mismatch":
            return f"{got} is not allowed (allowed: {allowed})"
        if code == "string_too_long":
            return f"{got} is too long (at most {ctx.get('max_length')} characters; allowed: {allowed})"
        if code == "finite_number":
            return f"{got} is not a finite number (allowed: {allowed})"
        if code.endswith(("_type", "_parsing")) or code == "int_from_float":
            return self._wrong_type(code, value, path, also)
        return f"{got}: {error['msg']}{also}"

    def _unknown_kind(self, tag: Any) -> str:
        kinds = ", ".join(self.chapter_models)
        if tag is None:
            return f"missing required field 'kind' (one of: {kinds})"
        return f"unknown chapter kind {tag!r}{suggest(tag, self.chapter_models)} The kinds are: {kinds}"

    @staticmethod
    def _wrong_type(code: str, value: Any, path: tuple[Any, ...], also: str) -> str:
        expected = _TYPE_NAMES.get(code.rsplit("_", 1)[0], "another type")
        if expected == "a mapping" and path and path[0] == "chapters" and len(path) == 2:
            return f"expected a chapter (a mapping with id, kind, title, narration), got {describe(value)}"
        hint = " (put it in quotes to make it text)" if expected == "text" and value is not None else ""
        return f"expected {expected}, got {describe(value)}{hint}{also}"

    @staticmethod
    def _field_order(model: type[BaseModel]) -> list[str]:
        """A model's fields in the order a storyboard is usually written (pydantic lists inherited
        fields first, which puts a chapter's `kind` after its overrides)."""
        names = list(model.model_fields)
        if issubclass(model, ChapterBase):
            own = [n for n in names if n not in COMMON_FIELDS]
            return ["id", "kind", "title", "narration", *own, "seed", "steps", "guidance", "negative_prompt"]
        return names

    def _unknown_field(self, path: tuple[Any, ...], kind: str | None) -> str:
        name = str(path[-1])
        parent = path[:-1]
        model = self._owner((*parent, "x"), kind) if parent else self.storyboard
        if parent and isinstance(parent[-1], int) and kind is not None:
            model = self.chapter_models[kind]
        allowed = self._field_order(model) if model is not None else []
        text = f"unknown field {name!r}{suggest(name, allowed)}"
        if kind is not None:
            owners = [k for k, m in self.chapter_models.items() if name in m.model_fields]
            if owners:
                text += f" {name!r} belongs to {', '.join(owners)} chapters, not {kind}."
        if allowed:
            text += f" Allowed here: {', '.join(allowed)}"
        return text

    # ---- problems with positions -----------------------------------------------------------

    def validation_problems(self, exc: ValidationError, converter: Converter) -> list[Problem]:
        """One Problem per pydantic error, at the position of the value (or of the unknown key)."""
        problems = []
        for error in exc.errors(include_url=False):
            if error["type"] == "duplicate_chapter_id":
                continue  # reported from the raw data, with the position of the repeated id
            path, kind = self._strip_tags(tuple(error["loc"]))
            if error["type"] == "union_tag_not_found":
                path = (*path, "kind")
            field = path_str(path)
            marks = converter.key_marks if error["type"] == "extra_forbidden" else converter.value_marks
            if error["type"] == "union_tag_invalid" and f"{field}.kind" in converter.value_marks:
                field = f"{field}.kind"
            line, column = locate(field, marks) if field in marks else locate(field, converter.value_marks)
            problems.append(Problem(converter.file, line, column, field, self.text(error, path, kind)))
        return problems


def duplicate_id_problems(data: Any, converter: Converter) -> list[Problem]:
    """A problem at each chapter id that an earlier chapter already has."""
    chapters = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(chapters, list):
        return []
    problems = []
    seen: dict[str, int] = {}
    for i, chapter in enumerate(chapters):
        if not isinstance(chapter, dict) or not isinstance(chapter.get("id"), str):
            continue
        chapter_id = chapter["id"]
        if chapter_id not in seen:
            seen[chapter_id] = i
            continue
        field = f"chapters[{i}].id"
        line, column = locate(field, converter.value_marks)
        message = f"duplicate chapter id {chapter_id!r} (also chapters[{seen[chapter_id]}].id); ids must be unique"
        problems.append(Problem(converter.file, line, column, field, message))
    return problems
