"""Hypothesis strategies for whole chapters of any kind, derived from the kind's chapter model.

`chapter_cases(kind, profile)` draws a `FrameCase` (tests/helpers_frames.py): the kind's own
parameters, generation settings, a title, a narration and a theme. The kind's parameters come from
its chapter model (`kind.chapter.model_fields`), so a new kind is covered without naming it here:

- the constraints pydantic keeps with a field and inside its type (`Annotated[..., Field(...)]`):
  min_length/max_length of lists and mappings, ge/le (gt/lt) of numbers, and what a validator
  function declares for the JSON Schema with `@json_schema(...)` (minimum/maximum, uniqueItems,
  minProperties, ...: render/storyboard/schema.py) or the field's `json_schema_extra` says;
- Literal choices, optional fields (None or a value), bools, ints, floats, lists, mappings;
- text: a field named in the model's `prompt_fields` (or the values of such a mapping) holds prompts,
  drawn from the embedded model's vocabulary (assets/models/tiny-prx/vocabulary.json), up to the
  longest it describes ("a large orange star in the top left corner on a teal background"); other
  text (a mapping's keys: group names) is a few words.

A field whose type is none of these is taken from the kind's `example` (or left to its default).
A drawn chapter that the model itself rejects (a check across fields, like an interpolation's two
prompts having to differ) is discarded.

`profile` says where in the space to draw: "small" (every list at its shortest, short texts),
"large" (every list at its longest, long prompts and titles) or "mixed" (anything in between).
A list or mapping without a maximum is drawn up to `UNBOUNDED` entries.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import annotated_types
from conftest import FAKE_SIZE, base_params
from helpers_frames import FrameCase
from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from render.engine.vocabulary import load_vocabulary
from render.kinds.base import Kind
from render.paths import TINY_PRX_DIR
from render.storyboard.schema import COMMON_FIELDS, MAX_GUIDANCE, MAX_SEED, MIN_GUIDANCE

PROFILES = ("small", "large", "mixed")
THEMES = ("dark", "light")
UNBOUNDED = 5  # the most entries a list or mapping without a maximum gets (the default map: 4 groups of 4)
MAX_STEPS = 28  # the storyboard's default steps: the most the settings draw (every step is a trajectory frame)
LONG_TITLE = 60  # characters: a long chapter title
MAX_BEATS = 6
MAX_BEAT_WORDS = 60
# Kinds whose frames state the image size (not only show images of it): their width and height are drawn
# in multiples of 16 up to this (512: past the 400 pages the noise chapter draws of its count; its random
# images are made at that size); every other kind's fake images keep conftest's small size, since only
# layout is checked.
SIZED_KINDS = {"noise_sampling": 512}


def _map_prompts_differ(own: dict[str, Any]) -> bool:
    prompts = {p for group in own["groups"].values() for p in group} | {own.get("highlight") or ""}
    return len(prompts - {""}) > 1


# Valid chapters an analysis cannot take yet, left out here until it can (each a bug of that kind's own):
# the embedding map's t-SNE (scikit-learn) crashes the process (a segmentation fault, not an exception)
# when every prompt on the map is the same text, so all their embeddings are equal.
NOT_YET: dict[str, Callable[[dict[str, Any]], bool]] = {"embedding_map": _map_prompts_differ}

VOCABULARY = load_vocabulary(TINY_PRX_DIR)
TITLE_WORDS = (
    "noise image prompt seed steps guidance the model from to every step how strongly follow between two "
    "prompts same different word by one at a time space latent smaller reading understanding classifier-free "
    "denoising controls vague detailed interpolation embeddings"
).split()
NARRATION_WORDS = (
    "the model turns noise into a picture one step at a time and each prompt steers where it goes while "
    "guidance says how strongly seeds pick the starting noise"
).split()


@dataclass(frozen=True)
class Limits:
    """What the metadata of a type says about its values (None: no limit)."""

    min_len: int | None = None
    max_len: int | None = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    lt: float | None = None
    unique: bool = False

    def merged(self, **more: Any) -> Limits:
        known = {k: v for k, v in more.items() if v is not None and k in Limits.__dataclass_fields__}
        return Limits(**{**self.__dict__, **known})


# JSON Schema keywords a validator function declares (render/storyboard/schema.py `json_schema`) -> Limits
KEYWORDS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minItems": "min_len",
    "maxItems": "max_len",
    "minProperties": "min_len",
    "maxProperties": "max_len",
    "minLength": "min_len",
    "maxLength": "max_len",
    "uniqueItems": "unique",
}


def limits_of(metadata: list[Any], extra: dict | None = None) -> Limits:
    """The Limits in pydantic metadata: annotated_types constraints, FieldInfos, validators' keywords."""
    limits = Limits()
    for item in metadata:
        if isinstance(item, FieldInfo):
            limits = limits.merged(**limits_of(item.metadata).__dict__)
        elif isinstance(item, annotated_types.GroupedMetadata):  # Interval(ge=.., le=..): its parts
            limits = limits.merged(**limits_of(list(item)).__dict__)
        elif isinstance(item, annotated_types.MinLen):
            limits = limits.merged(min_len=item.min_length)
        elif isinstance(item, annotated_types.MaxLen):
            limits = limits.merged(max_len=item.max_length)
        elif isinstance(item, (annotated_types.Ge, annotated_types.Le, annotated_types.Gt, annotated_types.Lt)):
            bound = type(item).__name__.lower()  # the class's name is its field's: Ge(ge=...)
            limits = limits.merged(**{bound: getattr(item, bound)})
        else:
            keywords = getattr(getattr(item, "func", None), "json_schema_keywords", None) or {}
            limits = limits.merged(**{KEYWORDS[k]: v for k, v in keywords.items() if k in KEYWORDS})
    if extra:
        limits = limits.merged(**{KEYWORDS[k]: v for k, v in extra.items() if k in KEYWORDS})
    return limits


# ---- texts -----------------------------------------------------------------------------------------


def _article(rest: str) -> str:
    return f"{'an' if rest[0] in 'aeiou' else 'a'} {rest}"


@st.composite
def prompts(draw, profile: str) -> str:
    """A prompt the embedded model knows: [size] [colour] shape [position] [on a colour background]."""
    v = VOCABULARY
    phrases = [p for ps in v.positions.values() for p in ps]
    longest = max(phrases, key=len)
    if profile == "small":
        return _article(draw(st.sampled_from(v.shapes)))
    full = profile == "large"
    maybe = st.just(True) if full else st.booleans()
    parts = []
    if draw(maybe):
        parts.append(draw(st.sampled_from(v.sizes)))
    if draw(maybe):
        parts.append(draw(st.sampled_from(v.colours)))
    parts.append(draw(st.sampled_from(v.shapes)))
    if draw(maybe):
        parts.append(draw(st.sampled_from([longest] if full else phrases)))
    if draw(maybe):
        parts.append(f"on {_article(draw(st.sampled_from(v.colours)))} background")
    return _article(" ".join(parts))


def _words_up_to(draw, words: list[str], length: int) -> str:
    """Words drawn from `words` until the text is about `length` characters long (one word at least)."""
    text = draw(st.sampled_from(words))
    while len(text) < length:
        word = draw(st.sampled_from(words))
        if len(text) + 1 + len(word) > length + 4:
            break
        text += f" {word}"
    return text


@st.composite
def titles(draw, profile: str) -> str:
    """A chapter title: one short word ("small"), about 60 characters ("large"), or anything between."""
    length = {"small": 1, "large": LONG_TITLE}.get(profile, 0) or draw(st.integers(1, LONG_TITLE))
    text = _words_up_to(draw, TITLE_WORDS, length)
    return text[0].upper() + text[1:]


@st.composite
def names(draw, profile: str) -> str:
    """A short name (a group's): one word, or up to three."""
    count = {"small": 1, "large": 3}.get(profile, 0) or draw(st.integers(1, 3))
    return " ".join(draw(st.lists(st.sampled_from(TITLE_WORDS), min_size=count, max_size=count)))


@st.composite
def narrations(draw, profile: str) -> list[str]:
    """1 to 6 beats of 1 to 60 words each."""
    beats = {"small": 1, "large": MAX_BEATS}.get(profile, 0) or draw(st.integers(1, MAX_BEATS))
    out = []
    for _ in range(beats):
        words = draw(st.integers(1, MAX_BEAT_WORDS))
        text = " ".join(draw(st.lists(st.sampled_from(NARRATION_WORDS), min_size=words, max_size=words)))
        out.append(text[0].upper() + text[1:] + ".")
    return out


# ---- values of any type ----------------------------------------------------------------------------


def _length(limits: Limits, profile: str) -> st.SearchStrategy[int]:
    lo = limits.min_len or 0
    hi = limits.max_len if limits.max_len is not None else max(lo, UNBOUNDED)
    if profile == "small":
        return st.just(lo)
    if profile == "large":
        return st.just(hi)
    return st.integers(lo, hi)


NEAR = 20  # how far from its end of the range a number of the small or large profile may be


def _number(base: type, limits: Limits, profile: str) -> st.SearchStrategy:
    """Numbers in the limits: near the lowest ("small": the lowest first), near the highest ("large":
    the highest first), or anywhere ("mixed"; for floats, the ends and round numbers as well)."""
    if base is int:
        lo = limits.ge if limits.ge is not None else (None if limits.gt is None else limits.gt + 1)
        hi = limits.le if limits.le is not None else (None if limits.lt is None else limits.lt - 1)
        if lo is not None and hi is not None and profile != "mixed":
            near = st.integers(0, min(NEAR, hi - lo))  # Hypothesis draws 0 first: the range's end
            return near.map(lambda k: lo + k) if profile == "small" else near.map(lambda k: hi - k)
        return st.integers(lo, hi)
    lo = limits.ge if limits.ge is not None else limits.gt
    hi = limits.le if limits.le is not None else limits.lt
    closed = {"exclude_min": limits.ge is None, "exclude_max": limits.le is None}
    if lo is None or hi is None:
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False, **closed)
    if profile != "mixed":
        span = min(2.0, hi - lo) / 2
        near = st.integers(0, int(2 * span)).map(lambda k: k / 2) | st.floats(0, span)
        return near.map(lambda d: lo + d) if profile == "small" else near.map(lambda d: hi - d)
    # Round numbers are what people write; any float in range is allowed too (the longest labels).
    halves = st.integers(int(2 * lo) + 1, int(2 * hi) - 1).map(lambda k: k / 2)
    return st.one_of(st.sampled_from([float(lo), float(hi)]), halves, st.floats(lo, hi, **closed))


def values(annotation: Any, metadata: list[Any], profile: str, prompt: bool, extra: dict | None = None):
    """A strategy for values of `annotation` under `metadata`; None if the type is not one handled here.

    `prompt`: text here is a prompt (the field is named in the model's `prompt_fields`).
    """
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return values(args[0], [*args[1:], *metadata], profile, prompt, extra)
    if origin in (Union, types.UnionType):
        options = [values(a, metadata, profile, prompt, extra) for a in args if a is not type(None)]
        if any(o is None for o in options):
            return None
        some = st.one_of(*options)
        if type(None) not in args or profile == "large":  # the longest chapter has every optional field
            return some
        return st.one_of(st.none(), some)
    if origin is Literal:
        return st.sampled_from(args)
    limits = limits_of(metadata, extra)
    if annotation is bool:
        return st.booleans()
    if annotation in (int, float):
        return _number(annotation, limits, profile)
    if annotation is str:
        return prompts(profile) if prompt else names(profile)
    if origin is list:
        item = values(args[0], [], profile, prompt)
        if item is None:
            return None
        return _length(limits, profile).flatmap(lambda n: st.lists(item, min_size=n, max_size=n, unique=limits.unique))
    if origin is dict:
        key, value = values(args[0], [], profile, False), values(args[1], [], profile, prompt)
        if key is None or value is None:
            return None
        return _length(limits, profile).flatmap(lambda n: st.dictionaries(key, value, min_size=n, max_size=n))
    return None


def length_limits(annotation: Any, metadata: list[Any], extra: dict | None = None) -> tuple[int, int] | None:
    """The fewest and most entries a list or mapping field may be drawn with (None: not one); an
    unbounded one is drawn up to UNBOUNDED."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return length_limits(args[0], [*args[1:], *metadata], extra)
    if origin in (Union, types.UnionType):
        inner = [length_limits(a, metadata, extra) for a in args if a is not type(None)]
        return inner[0] if len(inner) == 1 else None
    if origin not in (list, dict):
        return None
    limits = limits_of(metadata, extra)
    lo = limits.min_len or 0
    return lo, limits.max_len if limits.max_len is not None else max(lo, UNBOUNDED)


def own_params(kind: Kind, profile: str) -> st.SearchStrategy[dict[str, Any]]:
    """The kind's own parameters (every field of its chapter model but the common ones)."""
    model = kind.chapter
    fields = {}
    for name, info in model.model_fields.items():
        if name in COMMON_FIELDS:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else None
        strategy = values(info.annotation, info.metadata, profile, name in model.prompt_fields, extra)
        if strategy is None:  # a type not derived here: the kind's example, else the field's default
            if name in kind.example:
                strategy = st.just(kind.example[name])
            elif info.is_required():
                raise TypeError(f"{kind.name}.{name}: cannot draw a {info.annotation} and the example has none")
            else:
                continue
        fields[name] = strategy
    return st.fixed_dictionaries(fields)


@st.composite
def settings(draw, kind: Kind, profile: str) -> dict[str, Any]:
    """Generation settings: any seed, 1 to 28 steps, any guidance; the image size where frames state it."""
    number = functools.partial(values, metadata=[], profile=profile, prompt=False)
    size = FAKE_SIZE, FAKE_SIZE
    if kind.name in SIZED_KINDS:
        sixteens = number(Annotated[int, annotated_types.Interval(ge=1, le=SIZED_KINDS[kind.name] // 16)])
        size = 16 * draw(sixteens), 16 * draw(sixteens)
    return {
        "seed": draw(number(Annotated[int, annotated_types.Interval(ge=0, le=MAX_SEED)])),
        "steps": draw(number(Annotated[int, annotated_types.Interval(ge=1, le=MAX_STEPS)])),
        "guidance": draw(number(Annotated[float, annotated_types.Interval(ge=MIN_GUIDANCE, le=MAX_GUIDANCE)])),
        "width": size[0],
        "height": size[1],
    }


@st.composite
def chapter_cases(draw, kind: Kind, profile: str = "mixed") -> FrameCase:
    """A whole chapter of `kind` for the frame tests (its key is left for the caller to set)."""
    own = draw(own_params(kind, profile))
    chapter = {"id": "drawn", "kind": kind.name, "title": "T", "narration": ["A beat."], **own}
    try:
        kind.chapter.model_validate(chapter)
    except ValidationError:
        assume(False)  # a check across fields (e.g. two prompts that must differ)
    assume(NOT_YET.get(kind.name, lambda _: True)(own))
    params = base_params(**draw(settings(kind, profile)), **own)
    theme = draw(st.sampled_from(THEMES))
    return FrameCase("", kind.name, params, draw(titles(profile)), draw(narrations(profile)), theme)
