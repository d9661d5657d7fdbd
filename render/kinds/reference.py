"""The chapter kinds' reference, `noise2image kinds` and docs/kinds.md, read from the registry.

Everything here comes from the kinds themselves: their storyboard fields (with what is allowed),
the phases of their scene (the "Beats (slots)" paragraph of the scene module's docstring, read
without importing Manim), their facts and claims, and their example parameters. So the reference
cannot drift from the code; a test checks that docs/kinds.md is the command's output.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from render.kinds.base import Kind
from render.storyboard.schema import COMMON_FIELDS

HEADER = """# Chapter kinds

Made by `noise2image kinds` from the kinds' own code (`noise2image kinds > docs/kinds.md`); do not
edit by hand. Every chapter also has `id`, `kind`, `title`, `narration` and the optional overrides
`seed`, `steps`, `guidance`, `negative_prompt` (README, "The storyboard").

**Beats and phases.** A kind's scene shows its pictures in a fixed number of phases, one after
another, and the narration's beats set their timing: with as many beats as phases, beat 1 is spoken
over phase 1, beat 2 over phase 2, and so on. With more beats than phases, consecutive beats share a
phase; with fewer, a beat spans several phases (the first beats first). Phase 1 is always the title.

**Facts and claims.** A beat's text can insert a measured fact as words with `{fact}` ("from about
{settle_steps} steps" -> "from about eight steps"; `{{` and `}}` are literal braces). A beat written
as a mapping can state claims, checked by `noise2image verify` and before `render` makes clips:

```yaml
narration:
  - Plain text is one beat.
  - say: From about {settle_steps} steps the picture settles.
    claims: [settles_from_settle_steps]
```

A claim's rule is fixed by its kind. Claims marked *general* are about the model, not the sample:
they are checked on the chapter's own seeds and on 8 more that the tool draws itself.
"""


def scene_phases(file: Path) -> list[str]:
    """The phases a scene module's docstring lists ("Beats (slots): 0 title; 1 ...; 2 ...")."""
    doc = ast.get_docstring(ast.parse(Path(file).read_text(encoding="utf-8"))) or ""
    match = re.search(r"Beats \(slots\):(.*?)(?:\n\s*\n|$)", doc, re.S)
    if not match:
        return []
    text = " ".join(match.group(1).split())
    parts = re.split(r"(?:^|;\s*)(\d+)\s+", text)
    return [p.strip().rstrip(".") for p in parts[2::2]]


def _cell(text: str) -> str:
    """Text for a Markdown table cell (a | would end the cell)."""
    return text.replace("|", "\\|")


def _allowed(field) -> str:
    return _cell(field.description or "")


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    return "none" if value is None else f"`{value}`"


def example_chapter(kind: Kind) -> dict[str, Any]:
    """A small chapter of the kind: its example parameters, one beat per phase, a fact and a claim."""
    phases = max(2, len(scene_phases(kind.scene.file)))
    beats: list[Any] = [f"Beat {k + 1} of the {kind.name.replace('_', ' ')} chapter." for k in range(phases)]
    if kind.facts:
        fact = next(iter(kind.facts))
        beats[1] = f"Beat 2 says a fact: {{{fact}}}."
    if kind.claims:
        claim = next(iter(kind.claims))
        beats[-1] = {"say": f"Beat {phases} states a claim.", "claims": [claim]}
    return {"id": kind.name.replace("_", "-"), "kind": kind.name, "title": kind.name.replace("_", " ").capitalize(),
            **kind.example, "narration": beats}  # fmt: skip


def kind_section(kind: Kind) -> str:
    """One kind's part of the reference."""
    doc = (kind.chapter.__doc__ or "").strip().splitlines()[0]
    lines = [f"## `{kind.name}`", "", doc, ""]
    rel = kind.scene.file.name
    lines += [f"Scene: `scenes/{rel}`, class `{kind.scene.cls}`.", ""]
    own = [(name, f) for name, f in kind.chapter.model_fields.items() if name not in COMMON_FIELDS]
    lines += ["| parameter | allowed | default |", "|---|---|---|"]
    lines += [f"| `{name}` | {_allowed(f)} | {_default(f)} |" for name, f in own] or ["| (none) | | |"]
    phases = scene_phases(kind.scene.file)
    if phases:
        lines += ["", "Phases:", ""] + [f"{k + 1}. {p}" for k, p in enumerate(phases)]
    if kind.facts:
        lines += ["", "| fact | what it is |", "|---|---|"]
        lines += [f"| `{name}` | {_cell(what)} |" for name, what in kind.facts.items()]
    if kind.claims:
        lines += ["", "| claim | the sentence it supports | fact | holds when | checked on |", "|---|---|---|---|---|"]
        for name, c in kind.claims.items():
            on = "its seeds + 8 drawn" if c.general else "the chapter"
            lines.append(f"| `{name}` | {_cell(c.says)} | `{c.fact}` | {_cell(c.rule)} | {on} |")
    example = yaml.safe_dump([example_chapter(kind)], sort_keys=False, allow_unicode=True, width=100)
    lines += ["", "Example:", "", "```yaml", example.rstrip(), "```", ""]
    return "\n".join(lines)


def kinds_reference(kinds: dict[str, Kind]) -> str:
    """The whole reference, kinds in registry order."""
    return HEADER + "\n" + "\n".join(kind_section(k) for k in kinds.values())
