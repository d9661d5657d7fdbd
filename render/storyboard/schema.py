"""The storyboard's schema: typed sections, the fields every chapter has, and the field types kinds use.

A storyboard is one YAML file describing a whole explainer video. Its top-level sections
(`model`, `defaults`, `video`, `narration`) are fixed here; its chapters are the kinds' own models
(each a `ChapterBase` subclass in its module under render/kinds/), joined into one discriminated
union on `kind` by `storyboard_model(...)`. The field names are part of the contract
(docs/contracts.md); every field's `description` says what is allowed, and the messages quote it.

The same models give the JSON Schema editors check a storyboard against (json_schema.py): a check
made by a validator function says what it checks in JSON Schema terms with `@json_schema(...)`, and
a field that takes another shape than its type (narration: one text, or texts and mappings) names
that shape with `json_schema_input_type`, so the schema accepts what the YAML may hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from render.storyboard.problems import Problem, PromptRef, suggest
from render.storyboard.yaml_positions import locate, path_str

MAX_SEED = 2**64 - 1
BUILTIN_MODELS = ("builtin:tiny-prx",)
MIN_GUIDANCE, MAX_GUIDANCE = 1.0, 30.0
NOT_BLANK = r"\S"  # a JSON Schema pattern (unanchored): at least one character that is not a space

Quality = Literal["low", "medium", "high", "production", "fourk"]


@dataclass(frozen=True)
class QualityPreset:
    """A video quality: Manim's flag for it (`-ql` ...) and its frame rate."""

    flag: str
    fps: int


QUALITY_PRESETS: dict[str, QualityPreset] = dict(
    zip(get_args(Quality), (QualityPreset("l", 15), QualityPreset("m", 30), QualityPreset("h", 60),
                            QualityPreset("p", 60), QualityPreset("k", 60)), strict=True)
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Field types (kinds use them for their own parameters)
# ---------------------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def json_schema(**keywords: Any) -> Callable[[F], F]:
    """Marks a validator function with the JSON Schema keywords that say what it checks.

    pydantic cannot see inside a validator function, so without this the schema would accept
    anything of the field's type; json_schema.py adds the keywords wherever the function is used
    (a field, a list item, a mapping key), and the check and its schema stay side by side.
    """

    def mark(function: F) -> F:
        function.json_schema_keywords = keywords  # type: ignore[attr-defined]
        return function

    return mark


@json_schema(pattern=NOT_BLANK)
def not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "is empty")
    return value


@json_schema(minimum=MIN_GUIDANCE, maximum=MAX_GUIDANCE)
def _check_guidance(value: float) -> float:
    if value < MIN_GUIDANCE:
        raise PydanticCustomError(
            "guidance_below_one",
            "guidance {value} is below 1.0: 1.0 turns guidance off; below 1 is not allowed",
            {"value": value},
        )
    if value > MAX_GUIDANCE:
        raise PydanticCustomError("guidance_too_high", "guidance {value} is above 30.0", {"value": value})
    return value


def _beats(value: Any) -> Any:
    # A plain string is one narration beat.
    return [value] if isinstance(value, str) else value


def _beat(value: Any) -> Any:
    # A beat written as plain text is `say` alone (a blank one is reported at the beat itself).
    if isinstance(value, str):
        return {"say": not_blank(value)}
    return value


@json_schema(uniqueItems=True)
def no_repeats(values: list) -> list:
    seen: dict[Any, int] = {}
    for i, v in enumerate(values):
        if v in seen:
            raise PydanticCustomError(
                "repeated_value",
                "{value} appears twice (items {first} and {second}); each entry must differ",
                {"value": repr(v), "first": seen[v], "second": i},
            )
        seen[v] = i
    return values


Text = Annotated[str, AfterValidator(not_blank)]
Prompt = Annotated[str, AfterValidator(not_blank)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Steps = Annotated[int, Field(ge=1, le=1000)]
Guidance = Annotated[float, AfterValidator(_check_guidance)]
Size = Annotated[int, Field(ge=16, le=4096, multiple_of=16)]
ChapterId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
ClaimName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Beat(BaseModel):
    """One narration beat: what is said (`{fact}` inserts a measured fact as words) and the claims
    that must hold for it to be true (names its chapter's kind defines; `noise2image verify`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    say: Text = Field(description="text; {fact} inserts one of the kind's facts as words")
    claims: list[ClaimName] = Field(default_factory=list, description="a list of the kind's claim names")


# What a beat and the narration may be written as (the validators turn a text into `say` alone,
# and one text into one beat); the JSON Schema describes these shapes, not the models'.
BeatInput = Annotated[Beat, BeforeValidator(_beat, json_schema_input_type=Text | Beat)]
Narration = Annotated[
    list[BeatInput],
    BeforeValidator(_beats, json_schema_input_type=Text | Annotated[list[BeatInput], Field(min_length=1)]),
    Field(min_length=1),
]

SEED_HELP = "an integer from 0 to 2**64-1 (18446744073709551615)"
STEPS_HELP = "an integer from 1 to 1000"
GUIDANCE_HELP = "a number from 1.0 (guidance off) to 30.0"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


# ---------------------------------------------------------------------------------------------
# Top-level sections
# ---------------------------------------------------------------------------------------------


@json_schema(
    anyOf=[
        {"enum": list(BUILTIN_MODELS), "description": "a model embedded in noise2image"},
        {"pattern": r"^(?!builtin:)\S(?:.*\S)?$", "description": "a hub id or a local folder"},
    ]
)
def _check_model_id(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "is empty")
    if value != value.strip():
        raise PydanticCustomError("whitespace", "has spaces at the start or end")
    if value.startswith("builtin:") and value not in BUILTIN_MODELS:
        raise PydanticCustomError(
            "unknown_builtin",
            "is not an embedded model{hint} (embedded: {known})",
            {"hint": suggest(value, BUILTIN_MODELS).rstrip("."), "known": ", ".join(BUILTIN_MODELS)},
        )
    return value


class ModelConfig(Strict):
    """Which diffusion model makes the images, and where it runs."""

    id: Annotated[str, AfterValidator(_check_model_id)] = Field(
        default="builtin:tiny-prx",
        description="'builtin:tiny-prx', a hub id like 'Photoroom/prx-256-t2i-sft', or a local folder",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(default="auto", description="auto, cpu, cuda or mps")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        default="auto", description="auto, float32, float16 or bfloat16"
    )


class Defaults(Strict):
    """Generation settings every chapter starts from."""

    seed: Seed = Field(default=0, description=SEED_HELP)
    steps: Steps = Field(default=28, description=STEPS_HELP)
    guidance: Guidance = Field(default=4.0, description=GUIDANCE_HELP)
    width: Size | None = Field(
        default=None, description="a multiple of 16 from 16 to 4096, or null for the model's native size"
    )
    height: Size | None = Field(
        default=None, description="a multiple of 16 from 16 to 4096, or null for the model's native size"
    )
    negative_prompt: str = Field(default="", description="text (may be empty)")


class VideoConfig(Strict):
    """How the video is rendered."""

    quality: Quality = Field(default="medium", description="low, medium, high, production or fourk")
    fps: Annotated[int, Field(ge=1, le=120)] | None = Field(
        default=None, description="an integer from 1 to 120, or null for the quality preset's rate"
    )
    theme: Literal["dark", "light"] = Field(default="dark", description="dark or light")


_VOICE_RE = re.compile(r"^(none|piper:\S.*|espeak:\S.*)$")


@json_schema(pattern=_VOICE_RE.pattern)
def _check_voice(value: str) -> str:
    if not _VOICE_RE.match(value):
        raise PydanticCustomError("bad_voice", "is not a voice")
    return value


class NarrationConfig(Strict):
    """How the narration is spoken."""

    voice: Annotated[str, AfterValidator(_check_voice)] = Field(
        default="piper:joe",
        description="'piper:NAME' (an installed Piper voice: joe, ...), 'piper:PATH.onnx', 'espeak:NAME' or 'none'",
    )
    speed: Annotated[float, Field(ge=0.25, le=4.0)] = Field(
        default=1.0, description="a number from 0.25 to 4.0 (1.0 is normal speed)"
    )
    pause: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        default=0.4, description="seconds between beats, from 0 to 10"
    )
    sentence_silence: Annotated[float, Field(ge=0.0, le=5.0)] = Field(
        default=0.2, description="seconds between sentences, from 0 to 5"
    )


# ---------------------------------------------------------------------------------------------
# Chapters: the fields every kind has
# ---------------------------------------------------------------------------------------------

COMMON_FIELDS = ("id", "kind", "title", "narration", "seed", "steps", "guidance", "negative_prompt")


class ChapterBase(Strict):
    """What every chapter has: id, kind, title, narration, and optional generation overrides.

    A kind's model adds `kind: Literal["<name>"]` and its own parameters, and names in
    `prompt_fields` the parameters that hold prompts (a text, a list of texts, or a mapping of
    names to lists of texts), so the checks can find every prompt.
    """

    prompt_fields: ClassVar[tuple[str, ...]] = ()

    id: ChapterId = Field(description="a slug: lowercase letters, digits, '-' and '_', unique in the file")
    kind: str
    title: Text = Field(description="text")
    narration: Narration = Field(
        description="a list of beats (each a text, or a mapping with say: and claims:), or one text for one beat"
    )
    seed: Seed | None = Field(default=None, description=SEED_HELP)
    steps: Steps | None = Field(default=None, description=STEPS_HELP)
    guidance: Guidance | None = Field(default=None, description=GUIDANCE_HELP)
    negative_prompt: str | None = Field(default=None, description="text (may be empty)")

    @property
    def beats(self) -> list[str]:
        """What each beat says, as written (placeholders not yet filled)."""
        return [beat.say for beat in self.narration]

    def stated_claims(self) -> list[tuple[int, str]]:
        """(beat index from 0, claim name) of every claim the narration states, in order."""
        return [(i, name) for i, beat in enumerate(self.narration) for name in beat.claims]

    def own_params(self) -> dict[str, Any]:
        """The kind's own parameters (everything but the common fields), as plain data."""
        return self.model_dump(mode="json", exclude=set(COMMON_FIELDS))

    def prompt_values(self) -> list[tuple[tuple[Any, ...], str]]:
        """(field path inside the chapter, text) of every non-empty prompt, negative prompt included."""
        found: list[tuple[tuple[Any, ...], str]] = []
        for name in (*self.prompt_fields, "negative_prompt"):
            value = getattr(self, name, None)
            if isinstance(value, str):
                found += [((name,), value)] if value else []
            elif isinstance(value, list):
                found += [((name, j), v) for j, v in enumerate(value)]
            elif isinstance(value, dict):
                found += [((name, group, j), v) for group, values in value.items() for j, v in enumerate(values)]
        return found


# ---------------------------------------------------------------------------------------------
# The storyboard
# ---------------------------------------------------------------------------------------------


class Storyboard(Strict):
    """A whole explainer: the model, the generation defaults, video and narration settings, and
    the chapters in order. Loaded storyboards are instances of `storyboard_model(...)`, the
    subclass whose `chapters` are the registered kinds' models."""

    title: Text = Field(description="text")
    model: ModelConfig = Field(default_factory=ModelConfig, description="a mapping with id, device, dtype")
    defaults: Defaults = Field(default_factory=Defaults, description="a mapping of generation defaults")
    video: VideoConfig = Field(default_factory=VideoConfig, description="a mapping with quality, fps, theme")
    narration: NarrationConfig = Field(
        default_factory=NarrationConfig, description="a mapping with voice, speed, pause, sentence_silence"
    )
    chapters: Annotated[list[ChapterBase], Field(min_length=1)] = Field(description="a list of at least 1 chapter")

    _file: str = PrivateAttr(default="<storyboard>")
    _value_marks: dict[str, tuple[int, int]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> Storyboard:
        seen: dict[str, int] = {}
        for i, chapter in enumerate(self.chapters):
            if chapter.id in seen:
                raise PydanticCustomError(
                    "duplicate_chapter_id",
                    "duplicate chapter id {id!r} (chapters[{first}] and chapters[{second}])",
                    {"id": chapter.id, "first": seen[chapter.id], "second": i},
                )
            seen[chapter.id] = i
        return self

    @property
    def file(self) -> str:
        """The file this storyboard was loaded from (or '<storyboard>')."""
        return self._file

    def chapter(self, chapter_id: str) -> ChapterBase:
        """The chapter with this id."""
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        raise KeyError(chapter_id)

    def locate(self, field: str) -> tuple[int, int]:
        """The 1-based (line, column) where `field` (e.g. 'chapters[2].prompt') was written; for a
        field that was left out, where its closest written parent is; (1, 1) if nothing is known."""
        return locate(field, self._value_marks)

    def problem(self, field: str, message: str) -> Problem:
        """A Problem for a field of this storyboard, for checks made after loading (for example
        against what the chosen model supports)."""
        line, column = self.locate(field)
        return Problem(self._file, line, column, field, message)

    def prompts(self) -> list[PromptRef]:
        """Every prompt in the storyboard (negative prompts included when not empty), with its
        field path and position, in file order."""
        found: list[tuple[str, str]] = []
        if self.defaults.negative_prompt:
            found.append(("defaults.negative_prompt", self.defaults.negative_prompt))
        for i, chapter in enumerate(self.chapters):
            found += [(path_str(("chapters", i, *inner)), text) for inner, text in chapter.prompt_values()]
        refs = [PromptRef(field, text, *self.locate(field)) for field, text in found]
        return sorted(refs, key=lambda r: (r.line, r.column))


@functools.cache
def storyboard_model(chapter_models: tuple[type[ChapterBase], ...]) -> type[Storyboard]:
    """The Storyboard subclass whose chapters are one of `chapter_models`, told apart by `kind`."""
    if len(chapter_models) == 1:
        chapter: Any = chapter_models[0]
    else:
        chapter = Annotated[Union[chapter_models], Field(discriminator="kind")]  # noqa: UP007
    return create_model(
        "Storyboard",
        __base__=Storyboard,
        __module__=__name__,
        chapters=(Annotated[list[chapter], Field(min_length=1)], Field(description="a list of at least 1 chapter")),
    )
