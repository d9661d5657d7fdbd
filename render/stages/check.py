"""The check stage: a loaded storyboard against this machine: the model, its sizes, prompt lengths, the voice.

These need files (the model's configs and tokenizer, the voice) but never load a model's weights.
Errors become `Problem`s with the storyboard's file:line:col; long prompts are warnings.
"""

from __future__ import annotations

from pathlib import Path

from render.engine.models import BUILTIN_TINY_PRX, ModelError, model_folder, native_size, size_multiple
from render.engine.vocabulary import Vocabulary, load_vocabulary
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
        warnings += _vocabulary_warnings(sb, load_vocabulary(folder))
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
    encode, decode, limit = tokenizer
    out = []
    for ref in sb.prompts():
        ids = encode(ref.text)
        if len(ids) > limit:
            kept = decode(ids[: limit - 1])
            out.append(
                f"{sb.file}:{ref.line}:{ref.column}: warning: {ref.field}: the prompt is {len(ids)} tokens; "
                f"the text encoder takes {limit}, so only this much is used: {kept!r}"
            )
    return out


def _tokenizer(model_id: str, folder: Path):
    """(encode, decode, the token limit) of the model's tokenizer, read with the `tokenizers` library
    from its tokenizer.json (transformers takes seconds to import; `check` answers at once); None
    for a model without one."""
    import json

    if model_id == BUILTIN_TINY_PRX:
        from render.tiny_prx.load import TOKENIZER_MAX_LENGTH, text_encoder_dir

        path, limit = text_encoder_dir() / "tokenizer.json", TOKENIZER_MAX_LENGTH
    else:
        path = folder / "tokenizer" / "tokenizer.json"
        config = folder / "tokenizer" / "tokenizer_config.json"
        try:
            limit = int(json.loads(config.read_text())["model_max_length"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text).ids

    def decode(ids: list[int]) -> str:
        return tokenizer.decode(ids, skip_special_tokens=True)

    return encode, decode, limit


def _vocabulary_warnings(sb: Storyboard, vocabulary: Vocabulary | None) -> list[str]:
    """A warning per prompt with words the model was never trained on, and what it will likely draw."""
    if vocabulary is None:
        return []
    out = []
    for ref in sb.prompts():
        unknown = vocabulary.unknown(ref.text)
        if unknown:
            words = ", ".join(f"'{w}'" for w in unknown)
            out.append(
                f"{sb.file}:{ref.line}:{ref.column}: warning: {ref.field}: {vocabulary.model} does not know {words} "
                f"(it knows {len(vocabulary.shapes)} shapes, {len(vocabulary.colours)} colours, "
                f"{len(vocabulary.sizes)} sizes and {len(vocabulary.positions)} places: README, 'The embedded model'); "
                f"it will likely draw {vocabulary.likely(ref.text)}"
            )
    return out
