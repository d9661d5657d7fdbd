"""The storyboard: one YAML file that describes a whole explainer video.

`load_storyboard(path)` reads the file with position tracking (yaml_positions.py), validates it
completely against the typed models (schema.py, and each kind's chapter model in render/kinds/),
and either returns a `Storyboard` or raises `StoryboardError` listing every problem at once, each
with file:line:col, the field path, the bad value and what is allowed (messages.py).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from render.storyboard.messages import Messages, describe, duplicate_id_problems
from render.storyboard.narration import narration_problems
from render.storyboard.problems import Problem, PromptRef, StoryboardError
from render.storyboard.schema import (
    QUALITY_PRESETS,
    Beat,
    ChapterBase,
    Defaults,
    ModelConfig,
    NarrationConfig,
    Storyboard,
    VideoConfig,
    storyboard_model,
)
from render.storyboard.yaml_positions import compose, locate, read_text

__all__ = [
    "QUALITY_PRESETS",
    "Beat",
    "ChapterBase",
    "Defaults",
    "ModelConfig",
    "NarrationConfig",
    "Problem",
    "PromptRef",
    "Storyboard",
    "StoryboardError",
    "VideoConfig",
    "load_storyboard",
]


def load_storyboard(path: str | Path) -> Storyboard:
    """Reads and validates a storyboard file (chapters of the registered kinds, render.kinds.KINDS).

    Raises StoryboardError listing every problem (file:line:col, field path, the bad value and
    what is allowed) if the file is missing, unreadable, not YAML, or does not fit the schema.
    """
    from render.kinds import KINDS  # the kinds import this package's schema: a late import, no cycle

    path = Path(path)
    file = str(path)
    data, converter = compose(read_text(path, file), file)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else describe(data)
        top = Problem(
            file,
            *locate("(document)", converter.value_marks),
            "(document)",
            f"the top level must be a mapping (title:, chapters:, ...), got {kind}",
        )
        raise StoryboardError([*converter.problems, top])

    chapter_models = {name: kind.chapter for name, kind in KINDS.items()}
    model = storyboard_model(tuple(chapter_models.values()))
    problems = [*converter.problems, *duplicate_id_problems(data, converter)]
    storyboard: Storyboard | None = None
    try:
        storyboard = model.model_validate(data)
    except ValidationError as exc:
        problems += Messages(model, chapter_models).validation_problems(exc, converter)
    if problems or storyboard is None:
        raise StoryboardError(problems)
    storyboard._file = file
    storyboard._value_marks = converter.value_marks
    problems = narration_problems(storyboard, KINDS)  # the facts and claims it names: its kinds' own
    if problems:
        raise StoryboardError(problems)
    return storyboard
