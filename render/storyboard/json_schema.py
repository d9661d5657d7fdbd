"""The storyboard's JSON Schema, for editors: completion, hover help and errors while typing.

It is generated from the models `check` validates with (`storyboard_model(...)` of the registered
kinds' chapter models, told apart by `kind`), so its structure, types, enums, ranges and
descriptions come from the same place as the checks. `noise2image schema` prints it; the
repository keeps a copy in docs/storyboard.schema.json (tests/test_authoring.py: up to date), and
`noise2image init` points new storyboards at it with a `# yaml-language-server: $schema=...` line.

What the schema cannot say, `check` still does: that chapter ids are unique, that an interpolation's
two prompts differ, that `{fact}` placeholders and claims are the kind's own, and everything about
this machine (the model's files, sizes, the voice).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from render.paths import REPO_ROOT
from render.storyboard.schema import storyboard_model

DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic's model_json_schema emits
SCHEMA_ID = "urn:noise2image:storyboard"
SCHEMA_FILE = REPO_ROOT / "docs" / "storyboard.schema.json"
TITLE = "noise2image storyboard"
DESCRIPTION = (
    "One YAML file that describes a narrated explainer video: the title, the model, the generation "
    "defaults, video and narration settings, and the chapters in order (each of a kind: "
    "`noise2image kinds` lists them). `noise2image check` validates everything this schema cannot."
)


class StoryboardJsonSchema(GenerateJsonSchema):
    """pydantic's generator, plus the keywords validator functions declare with `@json_schema(...)`."""

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> JsonSchemaValue:
        return _with_keywords(super().function_after_schema(schema), schema["function"]["function"])

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        return _with_keywords(super().function_before_schema(schema), schema["function"]["function"])

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        # pydantic says a key pattern (group names: not blank) as `patternProperties`, which leaves
        # keys that miss the pattern, and their values, unchecked: say it as a rule on every key.
        json_schema = super().dict_schema(schema)
        patterns = json_schema.pop("patternProperties", None)
        if patterns:
            ((pattern, values),) = patterns.items()
            json_schema["propertyNames"] = {**json_schema.get("propertyNames", {}), "pattern": pattern}
            json_schema["additionalProperties"] = values
        return json_schema


def _with_keywords(json_schema: JsonSchemaValue, function: Any) -> JsonSchemaValue:
    keywords = getattr(function, "json_schema_keywords", None)
    return {**json_schema, **keywords} if keywords else json_schema


def storyboard_json_schema(kinds: Mapping) -> dict[str, Any]:
    """The JSON Schema of a storyboard whose chapters are of `kinds` (name -> Kind).

    Each chapter's description also lists its kind's facts (for `{fact}` in the narration) and
    claims (for a beat's `claims:`), and its `examples` hold the chapter `noise2image kinds` shows,
    which editors offer when completing a chapter.
    """
    from render.kinds.reference import example_chapter

    model = storyboard_model(tuple(kind.chapter for kind in kinds.values()))
    body = model.model_json_schema(schema_generator=StoryboardJsonSchema)
    definitions = body.get("$defs", {})
    for kind in kinds.values():
        # With a single kind there is no union: its chapter model is the items' schema itself.
        entry = definitions.get(kind.chapter.__name__) or body["properties"]["chapters"]["items"]
        what = (kind.chapter.__doc__ or kind.name).strip().splitlines()[0]
        entry["properties"]["kind"]["description"] = f"{kind.name}: {what}"
        notes = [entry.get("description", "")]
        if kind.facts:
            notes.append("Facts for {placeholders} in the narration: " + ", ".join(kind.facts) + ".")
        if kind.claims:
            notes.append("Claims a beat may state: " + ", ".join(kind.claims) + ".")
        entry["description"] = " ".join(notes)
        entry["examples"] = [example_chapter(kind)]
    head = {"$schema": DIALECT, "$id": SCHEMA_ID, "title": TITLE, "description": DESCRIPTION}
    return _one_line_descriptions({**head, **{k: v for k, v in body.items() if k not in head}})


def _one_line_descriptions(node: Any) -> Any:
    """Descriptions taken from docstrings as flowing text (editors wrap them), everywhere in `node`."""
    if isinstance(node, dict):
        return {k: " ".join(v.split()) if k == "description" and isinstance(v, str) else _one_line_descriptions(v)
                for k, v in node.items()}  # fmt: skip
    if isinstance(node, list):
        return [_one_line_descriptions(item) for item in node]
    return node


def schema_text(kinds: Mapping | None = None) -> str:
    """The schema as the file holds it: indented JSON, keys in the models' order, ending in a newline."""
    if kinds is None:
        from render.kinds import KINDS  # the kinds import the storyboard package: a late import

        kinds = KINDS
    return json.dumps(storyboard_json_schema(kinds), indent=2, ensure_ascii=False) + "\n"
