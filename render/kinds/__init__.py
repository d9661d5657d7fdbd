"""The chapter kinds: one module each, and the registry built from them.

`KINDS` maps a kind's name to its `Kind` (render/kinds/base.py). Adding a kind is one module here
(its chapter model, requests, analysis and scene name) and one scene module in scenes/, plus
`register` below; a kind defined anywhere else is registered with `register(kind)` before the
storyboard is loaded.
"""

from __future__ import annotations

from render.kinds.base import Kind
from render.kinds.denoising import Denoising
from render.kinds.embedding_map import EmbeddingMap
from render.kinds.guidance_comparison import GuidanceComparison
from render.kinds.interpolation import Interpolation
from render.kinds.latent_space import LatentSpace
from render.kinds.noise_sampling import NoiseSampling
from render.kinds.prompt_detail import PromptDetail
from render.kinds.prompt_length import PromptLength
from render.kinds.seed_comparison import SeedComparison
from render.kinds.step_comparison import StepComparison
from render.kinds.summary import Summary

KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make `kind` known to the storyboard, the planner, the analysis and the clip renderer."""
    if kind.chapter.model_fields["kind"].annotation.__args__ != (kind.name,):  # type: ignore[union-attr]
        raise ValueError(f"kind {kind.name!r}: its chapter model must declare kind: Literal[{kind.name!r}]")
    KINDS[kind.name] = kind
    return kind


for _kind in (
    NoiseSampling(),
    Denoising(),
    LatentSpace(),
    EmbeddingMap(),
    SeedComparison(),
    StepComparison(),
    PromptDetail(),
    PromptLength(),
    Interpolation(),
    GuidanceComparison(),
    Summary(),
):
    register(_kind)
