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

TEMPLATE = """\
# yaml-language-server: $schema=<SCHEMA>
# <TITLE>: a noise2image storyboard. From this file's folder:
#
#   validate it (seconds; the model is not loaded):   noise2image check <FILE>
#   the last frame of every beat on a contact sheet,
#   made again each time you save (Ctrl-C stops):     noise2image preview <FILE> --watch
#   check every claim the narration states:           noise2image verify <FILE>
#   the narrated video (in build/ beside it):         noise2image render <FILE>
#
# The first line lets editors with a YAML language server (VS Code's YAML extension, JetBrains
# IDEs, Neovim, Helix) complete fields, explain them on hover and mark mistakes as you type.
#
# Each chapter has a kind (what it shows), a title, narration (a list of beats: each is spoken,
# and the animation is timed to it) and its kind's parameters. In a beat, {fact} inserts a
# measured fact as words; a beat written as `say:` with `claims:` states claims that `verify`
# checks against what the model made.
#
<KINDS>
#
# The embedded model (builtin:tiny-prx) runs offline on a CPU and knows a small world: one coloured
# shape (circle, square, triangle, star, ring, heart) of some size and position on a solid
# background. Every value below the title is the default: delete what you do not change.

title: <TITLE_VALUE>

model:
  id: builtin:tiny-prx      # or a hub id like Photoroom/prx-256-t2i-sft (GPU), or a pipeline folder
  device: auto              # auto, cpu, cuda or mps
  dtype: auto               # auto, float32, float16 or bfloat16

defaults:                   # what every chapter starts from; a chapter may override the first four
  seed: 0
  steps: 28
  guidance: 4.0             # 1.0 turns guidance off
  negative_prompt: ""
  width: null               # the model's native size
  height: null

video:
  quality: medium           # low (480p15), medium (720p30), high, production, fourk
  fps: null                 # the quality's frame rate
  theme: dark               # or light

narration:
  voice: piper:joe          # piper:PATH.onnx, espeak:NAME, or none (subtitles only)
  speed: 1.0
  pause: 0.4                # seconds between beats
  sentence_silence: 0.2     # seconds between sentences

chapters:
  - id: denoising
    kind: denoising
    title: From noise to image
    prompt: a large orange star in the center on a teal background
    narration:
      - A diffusion model turns noise into a picture, one step at a time.
      - say: It starts from pure noise, and here it takes {steps} steps to reach the picture.
        claims: [starts_from_noise]

  - id: seeds
    kind: seed_comparison
    title: Same prompt, different seeds
    prompt: a star
    seeds: [1, 2, 3, 4]
    narration:
      - The seed picks the starting noise. Here are {seed_count} seeds for the same prompt.
      - say: Each seed gives its own picture.
        claims: [seeds_differ]

  - id: guidance
    kind: guidance_comparison
    title: How strongly to follow the prompt
    prompt: a large orange star in the center on a teal background
    guidance_scales: [1.0, 4.0, 15.0]
    seed: 7                 # this chapter's own seed (a chapter may override the defaults' first four)
    narration:
      - Guidance sets how strongly the model follows the prompt, here from one to {highest}.
      - say: Around four, the picture matches the words.
        claims: [good_range_matches]
"""


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
    shown = [k for k in kinds if k not in ("denoising", "seed_comparison", "guidance_comparison")]
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
    text = TEMPLATE
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
