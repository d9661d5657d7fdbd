"""`noise2image init NAME`: a new storyboard to start from, checked by the editor while it is typed.

The file's first line is the YAML language server's modeline (`# yaml-language-server:
$schema=...`, read by VS Code's YAML extension, JetBrains IDEs, Neovim, Helix and others), so the
editor completes fields, explains them on hover and marks mistakes as they are made, from the same
models `noise2image check` uses. Inside this repository it points at docs/storyboard.schema.json
(kept up to date by a test); anywhere else the schema is written beside the new file, so the
storyboard folder works on its own (and can be moved or shared as a whole).

The sections hold the models' defaults (a test keeps them equal), and three chapters use the
embedded model's world, each with a `{fact}` and a claim, so the file passes `check` as it is.
The claims are ones the default storyboard states on the same runs (the seed chapter's seeds are
some of its seeds; the guidance chapter uses its seed), so they hold wherever the default's do.
"""

from __future__ import annotations

import os
import re
import shlex
import textwrap
from pathlib import Path
from urllib.parse import quote

import yaml

from render.errors import UsageError
from render.media.files import atomic_write
from render.paths import REPO_ROOT
from render.storyboard.json_schema import SCHEMA_FILE, schema_text

SCHEMA_BESIDE = "storyboard.schema.json"  # the schema's name beside a storyboard outside the repository

TEMPLATE = Path(__file__).resolve().parent / "templates" / "storyboard.yaml"  # with <PLACEHOLDERS>


def storyboard_path(name: str) -> Path:
    """The file `init NAME` writes: NAME, with .yaml added unless it ends in .yaml or .yml."""
    return Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")


def title_for(path: Path) -> str:
    """A title from the file's name: 'my-lecture.yaml' -> 'My lecture'."""
    words = path.stem.replace("-", " ").replace("_", " ").split()
    text = " ".join(words) or "My explainer"
    return text[0].upper() + text[1:]


def _yaml_scalar(text: str) -> str:
    """`text` as a YAML value: as it is when YAML reads it back as the same text, else quoted."""
    try:
        plain = yaml.safe_load(f"key: {text}")
    except yaml.YAMLError:
        plain = None
    return text if plain == {"key": text} else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def schema_reference(path: Path) -> tuple[str, bool]:
    """Where the new storyboard's modeline points, and whether the schema must be written beside it.

    Inside this repository (which holds docs/storyboard.schema.json), a path relative to the
    storyboard's folder; elsewhere, `storyboard.schema.json` beside it.
    """
    folder = path.resolve().parent
    if SCHEMA_FILE.is_file() and folder.is_relative_to(REPO_ROOT):
        # A URI reference (editors resolve it against the storyboard's own): spaces written as %20.
        return quote(Path(os.path.relpath(SCHEMA_FILE, folder)).as_posix()), False
    return SCHEMA_BESIDE, True


def _comment(text: str) -> str:
    return "\n".join(textwrap.wrap(text, width=98, initial_indent="# ", subsequent_indent="# "))


def scaffold_text(path: Path, schema: str, kinds: list[str]) -> str:
    """The new storyboard's text."""
    title = title_for(path)
    template = TEMPLATE.read_text(encoding="utf-8")
    used = set(re.findall(r"^    kind: (\w+)$", template, flags=re.M))
    shown = [k for k in kinds if k not in used]
    replacements = {
        "<SCHEMA>": schema,
        "<TITLE_VALUE>": _yaml_scalar(title),
        "<TITLE>": title,
        "<FILE>": shlex.quote(path.name),
        "<KINDS>": _comment(
            f"Besides the three kinds below there are {', '.join(shown)}. `noise2image kinds` "
            "lists every kind's parameters, facts and claims."
        ),
    }
    text = template
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text


def init(name: str) -> Path:
    """Write a new storyboard `name` (and, outside the repository, the schema beside it); returns its path.

    Raises UsageError if the file exists (it is never overwritten) or its folder does not.
    """
    from render.kinds import KINDS

    path = storyboard_path(name)
    if path.exists():
        raise UsageError(f"{path} already exists; init never overwrites a file (choose another name)")
    if not path.resolve().parent.is_dir():
        raise UsageError(f"no folder {path.parent} for {path.name}; make it first")
    schema, beside = schema_reference(path)
    text = scaffold_text(path, schema, list(KINDS))
    try:
        with path.open("x", encoding="utf-8") as f:  # "x": made now, or an error if it appeared meanwhile
            f.write(text)
    except FileExistsError:
        raise UsageError(f"{path} already exists; init never overwrites a file (choose another name)") from None
    if beside:
        target = path.parent / SCHEMA_BESIDE
        current = schema_text()
        if not target.is_file() or target.read_text(encoding="utf-8") != current:
            atomic_write(target, current)  # the schema of this version of noise2image
    return path
