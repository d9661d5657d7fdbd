"""The storyboard: one YAML file that describes a whole explainer video.

`load_storyboard(path)` reads the file with position tracking, validates it completely against
the typed models below, and either returns a `Storyboard` or raises `StoryboardError` listing
every problem at once, each with file:line:col, the field path, the bad value and what is
allowed. The schema is documented in docs/contracts.md; the field names are part of the contract.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "BUILTIN_MODELS",
    "CHAPTER_KINDS",
    "CHAPTER_MODELS",
    "Chapter",
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

MAX_SEED = 2**64 - 1
BUILTIN_MODELS = ("builtin:tiny-prx",)
# Whole-document guards: these only stop pathological input (alias bombs, runaway nesting).
_MAX_NODES = 200_000
_MAX_DEPTH = 64


# ---------------------------------------------------------------------------------------------
# Problems and the error that carries them
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a storyboard file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


class StoryboardError(Exception):
    """The storyboard cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.field))
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        where = self.problems[0].file if self.problems else "storyboard"
        head = f"{where}: {n} problem{'s' if n != 1 else ''} in the storyboard:"
        return "\n".join([head, *(str(p) for p in self.problems)])

    def __str__(self) -> str:
        return self._text()


@dataclass(frozen=True)
class PromptRef:
    """A prompt in a loaded storyboard and where it was written."""

    field: str
    text: str
    line: int
    column: int


# ---------------------------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "is empty")
    return value


def _check_guidance(value: float) -> float:
    if value < 1.0:
        raise PydanticCustomError(
            "guidance_below_one",
            "guidance {value} is below 1.0: 1.0 turns guidance off; below 1 is not allowed",
            {"value": value},
        )
    if value > 30.0:
        raise PydanticCustomError("guidance_too_high", "guidance {value} is above 30.0", {"value": value})
    return value


def _beats(value: Any) -> Any:
    # A plain string is one narration beat.
    return [value] if isinstance(value, str) else value


def _no_repeats(values: list) -> list:
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


Text = Annotated[str, AfterValidator(_not_blank)]
Prompt = Annotated[str, AfterValidator(_not_blank)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Steps = Annotated[int, Field(ge=1, le=1000)]
Guidance = Annotated[float, AfterValidator(_check_guidance)]
Size = Annotated[int, Field(ge=16, le=4096, multiple_of=16)]
ChapterId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Narration = Annotated[list[Text], BeforeValidator(_beats), Field(min_length=1)]

_SEED_HELP = "an integer from 0 to 2**64-1 (18446744073709551615)"
_STEPS_HELP = "an integer from 1 to 1000"
_GUIDANCE_HELP = "a number from 1.0 (guidance off) to 30.0"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


# ---------------------------------------------------------------------------------------------
# Top-level sections
# ---------------------------------------------------------------------------------------------


def _check_model_id(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "is empty")
    if value != value.strip():
        raise PydanticCustomError("whitespace", "has spaces at the start or end")
    if value.startswith("builtin:") and value not in BUILTIN_MODELS:
        raise PydanticCustomError(
            "unknown_builtin",
            "is not an embedded model{hint} (embedded: {known})",
            {"hint": _suggest(value, BUILTIN_MODELS).rstrip("."), "known": ", ".join(BUILTIN_MODELS)},
        )
    return value


class ModelConfig(_Strict):
    """Which diffusion model makes the images, and where it runs."""

    id: Annotated[str, AfterValidator(_check_model_id)] = Field(
        default="builtin:tiny-prx",
        description="'builtin:tiny-prx', a hub id like 'Photoroom/prx-256-t2i-sft', or a local folder",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(default="auto", description="auto, cpu, cuda or mps")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        default="auto", description="auto, float32, float16 or bfloat16"
    )


class Defaults(_Strict):
    """Generation settings every chapter starts from."""

    seed: Seed = Field(default=0, description=_SEED_HELP)
    steps: Steps = Field(default=28, description=_STEPS_HELP)
    guidance: Guidance = Field(default=4.0, description=_GUIDANCE_HELP)
    width: Size | None = Field(
        default=None, description="a multiple of 16 from 16 to 4096, or null for the model's native size"
    )
    height: Size | None = Field(
        default=None, description="a multiple of 16 from 16 to 4096, or null for the model's native size"
    )
    negative_prompt: str = Field(default="", description="text (may be empty)")


class VideoConfig(_Strict):
    """How the video is rendered."""

    quality: Literal["low", "medium", "high", "production", "fourk"] = Field(
        default="medium", description="low, medium, high, production or fourk"
    )
    fps: Annotated[int, Field(ge=1, le=120)] | None = Field(
        default=None, description="an integer from 1 to 120, or null for the quality preset's rate"
    )
    theme: Literal["dark", "light"] = Field(default="dark", description="dark or light")


_VOICE_RE = re.compile(r"^(none|piper:\S.*|espeak:\S.*)$")


def _check_voice(value: str) -> str:
    if not _VOICE_RE.match(value):
        raise PydanticCustomError("bad_voice", "is not a voice")
    return value


class NarrationConfig(_Strict):
    """How the narration is spoken."""

    voice: Annotated[str, AfterValidator(_check_voice)] = Field(
        default="piper:joe", description="'piper:joe', 'piper:PATH.onnx', 'espeak:NAME' or 'none'"
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
# Chapters: one model per kind
# ---------------------------------------------------------------------------------------------

_COMMON_FIELDS = ("id", "kind", "title", "narration", "seed", "steps", "guidance", "negative_prompt")


class _ChapterBase(_Strict):
    id: ChapterId = Field(description="a slug: lowercase letters, digits, '-' and '_', unique in the file")
    title: Text = Field(description="text")
    narration: Narration = Field(description="a list of beats (non-empty text), or one text for one beat")
    seed: Seed | None = Field(default=None, description=_SEED_HELP)
    steps: Steps | None = Field(default=None, description=_STEPS_HELP)
    guidance: Guidance | None = Field(default=None, description=_GUIDANCE_HELP)
    negative_prompt: str | None = Field(default=None, description="text (may be empty)")

    _defaults: Defaults | None = PrivateAttr(default=None)

    @property
    def params(self) -> dict[str, Any]:
        """The kind's parameters plus seed, steps, guidance, negative_prompt, width and height,
        with this chapter's overrides resolved against the storyboard's defaults."""
        defaults = self._defaults or Defaults()
        params = self.model_dump(exclude=set(_COMMON_FIELDS))
        params["seed"] = defaults.seed if self.seed is None else self.seed
        params["steps"] = defaults.steps if self.steps is None else self.steps
        params["guidance"] = defaults.guidance if self.guidance is None else self.guidance
        params["negative_prompt"] = defaults.negative_prompt if self.negative_prompt is None else self.negative_prompt
        params["width"] = defaults.width
        params["height"] = defaults.height
        return params


class NoiseSamplingChapter(_ChapterBase):
    """Random images flicker by; how many images exist at this size."""

    kind: Literal["noise_sampling"]
    samples: Annotated[int, Field(ge=4, le=64)] = Field(default=24, description="an integer from 4 to 64")


class DenoisingChapter(_ChapterBase):
    """The journey from noise to image."""

    kind: Literal["denoising"]
    prompt: Prompt = Field(description="a non-empty prompt")


class LatentSpaceChapter(_ChapterBase):
    """PCA of the latents, shown large."""

    kind: Literal["latent_space"]
    prompt: Prompt = Field(description="a non-empty prompt")


def _check_groups(groups: dict[str, list[str]]) -> dict[str, list[str]]:
    if len(groups) < 2:
        raise PydanticCustomError("too_few_groups", "needs at least 2 groups, got {n}", {"n": len(groups)})
    return groups


class EmbeddingMapChapter(_ChapterBase):
    """Many prompts projected to 2D, clusters labelled."""

    kind: Literal["embedding_map"]
    groups: Annotated[
        dict[Annotated[str, AfterValidator(_not_blank)], Annotated[list[Prompt], Field(min_length=2)]],
        AfterValidator(_check_groups),
    ] = Field(description="a mapping of group name to a list of prompts: at least 2 groups, 2 prompts each")
    highlight: Prompt | None = Field(default=None, description="a non-empty prompt, or left out")
    method: Literal["pca", "tsne"] = Field(default="tsne", description="pca or tsne")


class SeedComparisonChapter(_ChapterBase):
    """One prompt, several seeds."""

    kind: Literal["seed_comparison"]
    prompt: Prompt = Field(description="a non-empty prompt")
    seeds: Annotated[list[Seed], Field(min_length=2, max_length=16), AfterValidator(_no_repeats)] = Field(
        description=f"a list of 2 to 16 different seeds, each {_SEED_HELP}"
    )


class StepComparisonChapter(_ChapterBase):
    """One prompt, several step counts."""

    kind: Literal["step_comparison"]
    prompt: Prompt = Field(description="a non-empty prompt")
    step_counts: Annotated[list[Steps], Field(min_length=2, max_length=10), AfterValidator(_no_repeats)] = Field(
        description=f"a list of 2 to 10 different step counts, each {_STEPS_HELP}"
    )


class PromptDetailChapter(_ChapterBase):
    """Prompts from vague to detailed, each with several seeds."""

    kind: Literal["prompt_detail"]
    prompts: Annotated[list[Prompt], Field(min_length=2, max_length=6), AfterValidator(_no_repeats)] = Field(
        description="a list of 2 to 6 different prompts, vague to detailed"
    )
    seeds: Annotated[list[Seed], Field(min_length=2, max_length=8), AfterValidator(_no_repeats)] = Field(
        description=f"a list of 2 to 8 different seeds, each {_SEED_HELP}"
    )


class PromptLengthChapter(_ChapterBase):
    """Each word prefix of one prompt gets an image."""

    kind: Literal["prompt_length"]
    prompt: Prompt = Field(description="a non-empty prompt (each word prefix gets an image)")


class InterpolationChapter(_ChapterBase):
    """A walk between two prompt embeddings."""

    kind: Literal["interpolation"]
    from_prompt: Prompt = Field(description="a non-empty prompt")
    to_prompt: Prompt = Field(description="a non-empty prompt, different from from_prompt")
    points: Annotated[int, Field(ge=3, le=16)] = Field(default=7, description="an integer from 3 to 16")

    @model_validator(mode="after")
    def _different_ends(self) -> InterpolationChapter:
        if self.from_prompt.strip() == self.to_prompt.strip():
            raise PydanticCustomError(
                "same_prompts", "from_prompt and to_prompt are the same; an interpolation needs two prompts"
            )
        return self


class GuidanceComparisonChapter(_ChapterBase):
    """One prompt, several guidance scales."""

    kind: Literal["guidance_comparison"]
    prompt: Prompt = Field(description="a non-empty prompt")
    guidance_scales: Annotated[list[Guidance], Field(min_length=2, max_length=10), AfterValidator(_no_repeats)] = Field(
        description=f"a list of 2 to 10 different guidance scales, each {_GUIDANCE_HELP}"
    )


class SummaryChapter(_ChapterBase):
    """The four controls, and the journey replayed."""

    kind: Literal["summary"]
    prompt: Prompt = Field(description="a non-empty prompt")


CHAPTER_MODELS: dict[str, type[_ChapterBase]] = {
    "noise_sampling": NoiseSamplingChapter,
    "denoising": DenoisingChapter,
    "latent_space": LatentSpaceChapter,
    "embedding_map": EmbeddingMapChapter,
    "seed_comparison": SeedComparisonChapter,
    "step_comparison": StepComparisonChapter,
    "prompt_detail": PromptDetailChapter,
    "prompt_length": PromptLengthChapter,
    "interpolation": InterpolationChapter,
    "guidance_comparison": GuidanceComparisonChapter,
    "summary": SummaryChapter,
}
CHAPTER_KINDS: tuple[str, ...] = tuple(CHAPTER_MODELS)

Chapter = Annotated[
    NoiseSamplingChapter
    | DenoisingChapter
    | LatentSpaceChapter
    | EmbeddingMapChapter
    | SeedComparisonChapter
    | StepComparisonChapter
    | PromptDetailChapter
    | PromptLengthChapter
    | InterpolationChapter
    | GuidanceComparisonChapter
    | SummaryChapter,
    Field(discriminator="kind"),
]


class Storyboard(_Strict):
    """A whole explainer: the model, the generation defaults, video and narration settings, and
    the chapters in order."""

    title: Text = Field(description="text")
    model: ModelConfig = Field(default_factory=ModelConfig, description="a mapping with id, device, dtype")
    defaults: Defaults = Field(default_factory=Defaults, description="a mapping of generation defaults")
    video: VideoConfig = Field(default_factory=VideoConfig, description="a mapping with quality, fps, theme")
    narration: NarrationConfig = Field(
        default_factory=NarrationConfig, description="a mapping with voice, speed, pause, sentence_silence"
    )
    chapters: Annotated[list[Chapter], Field(min_length=1)] = Field(description="a list of at least 1 chapter")

    _file: str = PrivateAttr(default="<storyboard>")
    _value_marks: dict[str, tuple[int, int]] = PrivateAttr(default_factory=dict)
    _key_marks: dict[str, tuple[int, int]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _link_chapters(self) -> Storyboard:
        seen: dict[str, int] = {}
        for i, chapter in enumerate(self.chapters):
            if chapter.id in seen:
                raise PydanticCustomError(
                    "duplicate_chapter_id",
                    "duplicate chapter id {id!r} (chapters[{first}] and chapters[{second}])",
                    {"id": chapter.id, "first": seen[chapter.id], "second": i},
                )
            seen[chapter.id] = i
            chapter._defaults = self.defaults
        return self

    @property
    def file(self) -> str:
        """The file this storyboard was loaded from (or '<storyboard>')."""
        return self._file

    def chapter(self, chapter_id: str) -> _ChapterBase:
        """The chapter with this id."""
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        raise KeyError(chapter_id)

    def locate(self, field: str) -> tuple[int, int]:
        """The 1-based (line, column) where `field` (e.g. 'chapters[2].prompt') was written; for a
        field that was left out, where its closest written parent is; (1, 1) if nothing is known."""
        return _locate(field, self._value_marks)

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
            base = f"chapters[{i}]"
            for name in ("prompt", "highlight", "from_prompt", "to_prompt", "negative_prompt"):
                value = getattr(chapter, name, None)
                if value:
                    found.append((f"{base}.{name}", value))
            for j, value in enumerate(getattr(chapter, "prompts", None) or []):
                found.append((f"{base}.prompts[{j}]", value))
            for group, values in (getattr(chapter, "groups", None) or {}).items():
                for j, value in enumerate(values):
                    found.append((f"{_path_str((*_parse_base(base), 'groups', group))}[{j}]", value))
        refs = [PromptRef(field, text, *self.locate(field)) for field, text in found]
        return sorted(refs, key=lambda r: (r.line, r.column))


def _parse_base(base: str) -> tuple[Any, ...]:
    m = re.fullmatch(r"chapters\[(\d+)\]", base)
    assert m
    return ("chapters", int(m.group(1)))


# ---------------------------------------------------------------------------------------------
# Paths and positions
# ---------------------------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _path_str(path: tuple[Any, ...]) -> str:
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


def _locate(field: str, marks: dict[str, tuple[int, int]]) -> tuple[int, int]:
    for candidate in _path_parents(field):
        if candidate in marks:
            return marks[candidate]
    return (1, 1)


# ---------------------------------------------------------------------------------------------
# Reading YAML with positions
# ---------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads YAML 1.2 floats such as 1e3 (PyYAML reads them as text)."""

    yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class _Converter:
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
        self.problems.append(Problem(self.file, line, column, _path_str(path), message))

    def convert(self, node: yaml.Node, path: tuple[Any, ...] = ()) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _TooLarge(node)
        if len(path) > _MAX_DEPTH:
            raise _TooDeep(node)
        key = _path_str(path)
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
            self.key_marks[_path_str(child)] = self._pos(key_node)
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


def _read_text(path: Path, file: str) -> str:
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


def _compose(text: str, file: str) -> tuple[Any, _Converter]:
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
            converter = _Converter(loader, file)
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
            line, column = _Converter._pos(exc.node)
            raise StoryboardError([Problem(file, line, column, "(document)", f"the document is {what}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, converter


# ---------------------------------------------------------------------------------------------
# Turning pydantic errors into problems
# ---------------------------------------------------------------------------------------------

_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "defaults": Defaults,
    "video": VideoConfig,
    "narration": NarrationConfig,
}


def _suggest(word: str, choices: Any) -> str:
    """'; did you mean 'x'?' for the closest choice, else '.' (so a sentence can follow)."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else "."


def _describe(value: Any) -> str:
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
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({str(value)[:40]})"


def _strip_tags(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """Removes the discriminator tag pydantic puts after `chapters[i]`; returns the kind too."""
    if len(loc) >= 3 and loc[0] == "chapters" and isinstance(loc[1], int) and loc[2] in CHAPTER_MODELS:
        return (*loc[:2], *loc[3:]), loc[2]
    return loc, None


def _owner(path: tuple[Any, ...], kind: str | None) -> type[BaseModel] | None:
    """The model whose field is named by the last string in `path` (list indices skipped)."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return None
    if len(names) == 1:
        return Storyboard
    if names[0] == "chapters" and kind is not None:
        return CHAPTER_MODELS[kind] if len(names) >= 2 else Storyboard
    return _SECTION_MODELS.get(names[0]) if len(names) == 2 else None


def _allowed(path: tuple[Any, ...], kind: str | None) -> str:
    field_path = list(path)
    # Items of a list and entries of `groups` are described by the field that holds them.
    while field_path and (isinstance(field_path[-1], int) or (len(field_path) >= 2 and field_path[-2] == "groups")):
        field_path.pop()
    if not field_path:
        return ""
    model = _owner(tuple(field_path), kind)
    name = field_path[-1]
    if model is None or name not in model.model_fields:
        return ""
    return model.model_fields[name].description or ""


def _problem_text(error: dict[str, Any], path: tuple[Any, ...], kind: str | None, raw: Any) -> str:
    kind_of_error = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    allowed = _allowed(path, kind)
    got = _describe(value)

    if kind_of_error == "missing":
        return f"missing required field {path[-1]!r}" + (f" ({allowed})" if allowed else "")
    if kind_of_error == "extra_forbidden":
        return _unknown_field_text(path, kind)
    if kind_of_error in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("tag")
        kinds = ", ".join(CHAPTER_KINDS)
        if kind_of_error == "union_tag_not_found" or tag is None:
            return f"missing required field 'kind' (one of: {kinds})"
        return f"unknown chapter kind {tag!r}{_suggest(tag, CHAPTER_KINDS)} The kinds are: {kinds}"
    if kind_of_error == "same_prompts":
        return error["msg"]
    if kind_of_error == "literal_error":
        suggestion = _suggest(value, _literal_choices(ctx)).rstrip(".")
        return f"{got} is not allowed{suggestion} (allowed: {allowed or ctx.get('expected')})"
    if kind_of_error in ("blank", "whitespace", "unknown_builtin", "bad_voice"):
        return f"{got} {error['msg']}" + (f" (allowed: {allowed})" if allowed else "")
    if kind_of_error in (
        "guidance_below_one",
        "guidance_too_high",
        "repeated_value",
        "too_few_groups",
    ):
        return error["msg"] + (f" (allowed: {allowed})" if allowed else "")
    if kind_of_error in ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "multiple_of"):
        return f"{got} is out of range: {error['msg'].lower().replace('input ', '')} (allowed: {allowed})"
    if kind_of_error in ("too_short", "too_long"):
        many = "few" if kind_of_error == "too_short" else "many"
        return f"{got} has too {many} entries (allowed: {allowed})"
    if kind_of_error == "string_pattern_mismatch":
        return f"{got} is not allowed (allowed: {allowed})"
    if kind_of_error == "string_too_long":
        return f"{got} is too long (at most {ctx.get('max_length')} characters; allowed: {allowed})"
    if kind_of_error == "finite_number":
        return f"{got} is not a finite number (allowed: {allowed})"
    if (
        kind_of_error.endswith("_type")
        or kind_of_error.endswith("_parsing")
        or kind_of_error
        in (
            "model_attributes_type",
            "int_from_float",
        )
    ):
        expected = {
            "int": "an integer",
            "float": "a number",
            "string": "text",
            "bool": "true or false",
            "list": "a list",
            "dict": "a mapping",
            "model": "a mapping",
            "model_attributes": "a mapping",
        }.get(kind_of_error.rsplit("_", 1)[0], "another type")
        hint = " (put it in quotes to make it text)" if expected == "text" and value is not None else ""
        if expected == "a mapping" and path and path[0] == "chapters" and len(path) == 2:
            return f"expected a chapter (a mapping with id, kind, title, narration), got {got}"
        return f"expected {expected}, got {got}{hint}" + (f" (allowed: {allowed})" if allowed else "")
    return f"{got}: {error['msg']}" + (f" (allowed: {allowed})" if allowed else "")


def _literal_choices(ctx: dict[str, Any]) -> list[str]:
    return re.findall(r"'([^']*)'", str(ctx.get("expected", "")))


def _field_order(model: type[BaseModel]) -> list[str]:
    """A model's fields in the order a storyboard is usually written (pydantic lists inherited
    fields first, which puts a chapter's `kind` after its overrides)."""
    names = list(model.model_fields)
    if issubclass(model, _ChapterBase):
        own = [n for n in names if n not in _COMMON_FIELDS]
        return ["id", "kind", "title", "narration", *own, "seed", "steps", "guidance", "negative_prompt"]
    return names


def _unknown_field_text(path: tuple[Any, ...], kind: str | None) -> str:
    name = str(path[-1])
    parent = path[:-1]
    model = _owner((*parent, "x"), kind) if parent else Storyboard
    if parent and isinstance(parent[-1], int) and kind is not None:
        model = CHAPTER_MODELS[kind]
    allowed = _field_order(model) if model is not None else []
    text = f"unknown field {name!r}{_suggest(name, allowed)}"
    if kind is not None:
        owners = [k for k, m in CHAPTER_MODELS.items() if name in m.model_fields]
        if owners:
            text += f" {name!r} belongs to {', '.join(owners)} chapters, not {kind}."
    if allowed:
        text += f" Allowed here: {', '.join(allowed)}"
    return text


def _duplicate_id_problems(data: Any, converter: _Converter) -> list[Problem]:
    chapters = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(chapters, list):
        return []
    problems = []
    seen: dict[str, int] = {}
    for i, chapter in enumerate(chapters):
        if not isinstance(chapter, dict) or not isinstance(chapter.get("id"), str):
            continue
        chapter_id = chapter["id"]
        if chapter_id in seen:
            field = f"chapters[{i}].id"
            line, column = _locate(field, converter.value_marks)
            problems.append(
                Problem(
                    converter.file,
                    line,
                    column,
                    field,
                    f"duplicate chapter id {chapter_id!r} (also chapters[{seen[chapter_id]}].id); ids must be unique",
                )
            )
        else:
            seen[chapter_id] = i
    return problems


def _validation_problems(exc: ValidationError, data: Any, converter: _Converter) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        if error["type"] == "duplicate_chapter_id":
            continue  # reported from the raw data, with the position of the repeated id
        path, kind = _strip_tags(tuple(error["loc"]))
        if error["type"] == "union_tag_not_found":
            path = (*path, "kind")
        field = _path_str(path)
        marks = converter.key_marks if error["type"] == "extra_forbidden" else converter.value_marks
        if error["type"] == "union_tag_invalid" and f"{field}.kind" in converter.value_marks:
            field = f"{field}.kind"
        line, column = _locate(field, marks) if field in marks else _locate(field, converter.value_marks)
        problems.append(Problem(converter.file, line, column, field, _problem_text(error, path, kind, data)))
    return problems


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load_storyboard(path: str | Path) -> Storyboard:
    """Reads and validates a storyboard file.

    Raises StoryboardError listing every problem (file:line:col, field path, the bad value and
    what is allowed) if the file is missing, unreadable, not YAML, or does not fit the schema.
    """
    path = Path(path)
    file = str(path)
    text = _read_text(path, file)
    data, converter = _compose(text, file)

    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else _describe(data)
        raise StoryboardError(
            converter.problems
            + [
                Problem(
                    file,
                    *_locate("(document)", converter.value_marks),
                    "(document)",
                    f"the top level must be a mapping (title:, chapters:, ...), got {kind}",
                )
            ]
        )

    problems = list(converter.problems)
    problems += _duplicate_id_problems(data, converter)
    storyboard: Storyboard | None = None
    try:
        storyboard = Storyboard.model_validate(data)
    except ValidationError as exc:
        problems += _validation_problems(exc, data, converter)
    if problems or storyboard is None:
        raise StoryboardError(problems)

    storyboard._file = file
    storyboard._value_marks = converter.value_marks
    storyboard._key_marks = converter.key_marks
    return storyboard
