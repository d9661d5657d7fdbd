"""The check stage: a loaded storyboard against this machine: the model, its sizes, prompt lengths, the voice.

These need files (the model's configs and tokenizer, the voice) but never load a model's weights.
Errors become `Problem`s with the storyboard's file:line:col; long prompts are warnings.
"""

from __future__ import annotations

from pathlib import Path

from render.engine.models import BUILTIN_TINY_PRX, ModelError, model_folder, native_size, size_multiple
from render.speech import voice_problem
from render.storyboard import Problem, Storyboard, StoryboardError


def environment_problems(sb: Storyboard) -> tuple[list[Problem], list[str]]:
    """(problems, warnings) for the storyboard on this machine."""
    problems: list[Problem] = []
    warnings: list[str] = []
    try:
        folder = model_folder(sb.model.id)
    except ModelError as e:
        problems.append(sb.problem("model.id", str(e)))
        folder = None
    if folder is not None:
        problems += _size_problems(sb)
        warnings += _prompt_length_warnings(sb, folder)
    voice = voice_problem(sb.narration.voice)
    if voice:
        problems.append(sb.problem("narration.voice", voice))
    return problems, warnings


def check_storyboard(sb: Storyboard, *, say=print) -> None:
    """Raise StoryboardError listing every environment problem; print the warnings."""
    problems, warnings = environment_problems(sb)
    for w in warnings:
        say(w)
    if problems:
        raise StoryboardError(problems)


def _size_problems(sb: Storyboard) -> list[Problem]:
    width, height = native_size(sb.model.id)
    out = []
    for name, value in (("width", sb.defaults.width), ("height", sb.defaults.height)):
        if value is None:
            continue
        if sb.model.id == BUILTIN_TINY_PRX:
            native = width if name == "width" else height
            if value != native:
                out.append(
                    sb.problem(
                        f"defaults.{name}",
                        f"{value} px: the embedded model makes {width}x{height} images only; "
                        f"use {native} or leave it out (null)",
                    )
                )
        else:
            multiple = size_multiple(sb.model.id)
            if value % multiple:
                lower, upper = value // multiple * multiple, (value // multiple + 1) * multiple
                out.append(
                    sb.problem(
                        f"defaults.{name}",
                        f"{value} px: this model takes multiples of {multiple} (e.g. {lower or multiple} or "
                        f"{upper}); its native size is {width}x{height}",
                    )
                )
    return out


def _prompt_length_warnings(sb: Storyboard, folder: Path) -> list[str]:
    tokenizer = _tokenizer(sb.model.id, folder)
    if tokenizer is None:
        return []
    limit = tokenizer.model_max_length
    out = []
    for ref in sb.prompts():
        ids = tokenizer(ref.text, truncation=False)["input_ids"]
        if len(ids) > limit:
            kept = tokenizer.decode(ids[: limit - 1], skip_special_tokens=True)
            out.append(
                f"{sb.file}:{ref.line}:{ref.column}: warning: {ref.field}: the prompt is {len(ids)} tokens; "
                f"the text encoder takes {limit}, so only this much is used: {kept!r}"
            )
    return out


def _tokenizer(model_id: str, folder: Path):
    import transformers

    transformers.logging.set_verbosity_error()
    if model_id == BUILTIN_TINY_PRX:
        from render.tiny_prx.load import load_tokenizer

        return load_tokenizer()
    if (folder / "tokenizer").is_dir():
        return transformers.AutoTokenizer.from_pretrained(folder / "tokenizer", local_files_only=True)
    return None
