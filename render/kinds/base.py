"""What a chapter kind is: its storyboard model, the generations it needs, its analysis, its scene.

A kind is one module in render/kinds/ holding a `ChapterBase` subclass (the storyboard fields of
the kind, validated with everything else) and a `Kind` subclass:

    class SeedComparisonChapter(ChapterBase):
        kind: Literal["seed_comparison"]
        prompt: Prompt = Field(description="a non-empty prompt")
        seeds: list[Seed] = Field(description="a list of seeds")

    class SeedComparison(Kind[SeedComparisonChapter]):
        name = "seed_comparison"
        chapter = SeedComparisonChapter
        scene = SceneRef(SCENES_DIR / "seed_comparison.py", "SeedComparisonScene")

        def requests(self, chapter, settings):                # role -> generation requests
            return {"seeds": [settings.request(chapter.prompt, seed=s) for s in chapter.seeds]}

        def analyse(self, chapter, settings, runs, context):  # recordings -> (chapter.json info, arrays)
            ...

Most kinds are about one prompt (`PromptChapter`), and many need one generation of it
(`SingleRunKind`: the role "main").

The registry (render/kinds/__init__.py) is built from those modules; `register(kind)` adds one
from anywhere (a kind outside this package works the same way). No torch or diffusers here: the
engine supplies recordings (`Trajectory`) and, through `AnalysisContext.encode`, prompt embeddings.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import numpy as np
from pydantic import Field

from render.engine.requests import GenerationRequest, Shown
from render.engine.trajectory import Trajectory
from render.kinds.facts import Claim
from render.kinds.latent_basis import LatentBasis, fit_latent_basis
from render.storyboard.schema import ChapterBase, Prompt
from render.web.figure import WebFigure

Info = dict[str, Any]
Arrays = dict[str, np.ndarray]
Requests = dict[str, list[GenerationRequest]]
ShownByRole = dict[str, list[Shown]]
Runs = dict[str, list[Trajectory]]
C = TypeVar("C", bound=ChapterBase)


@dataclass(frozen=True)
class Settings:
    """A chapter's generation settings: its overrides resolved against the storyboard's defaults,
    and the image size resolved against the model's own."""

    seed: int
    steps: int
    guidance: float
    negative_prompt: str
    width: int
    height: int

    def request(self, prompt: str | None, **overrides: Any) -> GenerationRequest:
        """A generation request with these settings, for `prompt`, with `overrides` (seed=..., steps=...)."""
        fields = {"prompt": prompt, **asdict(self), **overrides}
        return GenerationRequest(**fields)


@dataclass(frozen=True)
class SceneRef:
    """Where a kind's Manim scene is: a Python file and the Scene class in it."""

    file: Path
    cls: str


@dataclass
class ModelInfo:
    """Sizes of the model's images and latents."""

    width: int
    height: int
    latent_channels: int
    latent_height: int
    latent_width: int
    channels: int = 3

    @classmethod
    def from_trajectory(cls, t: Trajectory) -> ModelInfo:
        c, h, w = t.latents.shape[1:]
        return cls(width=t.image.shape[1], height=t.image.shape[0], latent_channels=c, latent_height=h, latent_width=w)


class Reader(Protocol):
    """What a model's pictures show, read back without knowing how they were made: a model of a
    known world (the embedded model's procedural shapes) has one; other models have none, and the
    facts that need it are unknown ("cannot check")."""

    def read(self, image: np.ndarray) -> dict[str, Any]:
        """The attributes an image shows: shape, color, background, position, size (None: not seen)."""
        ...

    def asked(self, prompt: str) -> dict[str, Any]:
        """The attributes a prompt names (the same keys; only those it states)."""
        ...


@dataclass
class AnalysisContext:
    """What analysis needs beyond a chapter's own recordings."""

    model: ModelInfo
    latent_basis: LatentBasis | None
    encode: Callable[[list[str]], np.ndarray] | None = None  # prompts -> pooled embeddings [n, D]
    reader: Reader | None = None  # reads attributes back from the model's pictures, where the model has one

    def basis_for(self, trajectories: Sequence[Trajectory]) -> LatentBasis:
        """The shared basis if it fits these latents, else one fitted on them alone."""
        shape = tuple(trajectories[0].latents.shape[1:])
        shared = self.latent_basis
        if shared is not None and shared.path_shape == shape and shared.colour_mean.shape[0] == shape[0]:
            return shared
        return fit_latent_basis(trajectories)


class Kind(Generic[C]):
    """One chapter kind (see the module docstring). Subclasses set the class attributes and `analyse`."""

    name: ClassVar[str]
    chapter: ClassVar[type[ChapterBase]]
    scene: ClassVar[SceneRef]
    example: ClassVar[dict[str, Any]] = {}  # the kind's own parameters of a small chapter (docs, tests, bench)
    order: ClassVar[int] = 1000  # its place in the registry and the kinds reference (the guide's order)
    uses_latent_basis: ClassVar[bool] = False  # drawn in the latent PCA basis shared by all such chapters
    web: ClassVar[WebFigure | None] = None  # its interactive figure on the web page (None: text and clip only)
    shows_steps: ClassVar[bool] = True  # the scene shows every step of its trajectories (else final images)
    shows_predictions: ClassVar[bool] = False  # ... and the x0 prediction of every step
    facts: ClassVar[dict[str, str]] = {}  # the facts `measure` gives (name -> what it is): {name} in narration
    claims: ClassVar[dict[str, Claim]] = {}  # the claims a beat can state (render/kinds/facts.py)

    def requests(self, chapter: C, settings: Settings) -> Requests:
        """The generations the chapter needs, by role (a kind that generates nothing returns {})."""
        return {}

    def shown(self, chapter: C, settings: Settings) -> ShownByRole:
        """Which decoded images of each request the scene shows, by role and in the order of `requests`
        (the engine decodes only those; the latents of every step are recorded regardless)."""
        show = Shown(steps=self.shows_steps, predictions=self.shows_predictions)
        return {role: [show] * len(reqs) for role, reqs in self.requests(chapter, settings).items()}

    def analyse(self, chapter: C, settings: Settings, runs: Runs, context: AnalysisContext) -> tuple[Info, Arrays]:
        """The chapter data: `info` for chapter.json and `arrays` for arrays.npz (render/chapter_data.py).

        `runs` has the roles of `requests`, each list in the same order. Images are uint8
        [.., H, W, 3] at the model's size (scenes upscale); numbers are float32.
        """
        raise NotImplementedError

    def measure(
        self, chapter: C, settings: Settings, runs: Runs, context: AnalysisContext, info: Info, arrays: Arrays
    ) -> dict[str, Any]:
        """The facts of `facts`, measured from the recordings and the analysis (`info`, `arrays`):
        plain values (spoken by `facts.value_words`) or `Fact`s with their own words; None for a
        fact the model cannot give. `runs` also holds the role "verify" when a general claim is stated."""
        return {}

    def verify_requests(self, chapter: C, settings: Settings, seeds: list[int]) -> Requests:
        """The generations a general claim is also checked on: the chapter's own, made from `seeds`
        (drawn by the tool, `facts.verification_seeds`). Their role must be "verify"; they are
        recorded as final images only."""
        return {}

    def general_claims_stated(self, chapter: C) -> bool:
        """True if a beat states a claim about the model (checked on more seeds than the chapter's)."""
        return any(self.claims[name].general for _, name in chapter.stated_claims() if name in self.claims)

    @property
    def source_files(self) -> list[Path]:
        """The files whose code decides this kind's chapter data (part of its analysis key)."""
        return [
            Path(inspect.getfile(type(self))),
            Path(__file__),
            Path(inspect.getfile(fit_latent_basis)),
            Path(inspect.getfile(Claim)),
        ]


class PromptChapter(ChapterBase):
    """A chapter about one prompt (most kinds are)."""

    prompt_fields = ("prompt",)
    prompt: Prompt = Field(description="a non-empty prompt")


class SingleRunKind(Kind[C]):
    """A kind that needs one generation: the chapter's prompt with its settings, as the role "main"."""

    def requests(self, chapter: C, settings: Settings) -> Requests:
        return {"main": [settings.request(chapter.prompt)]}


# ---- helpers for analyses ------------------------------------------------------------------------


def only(runs: Runs, role: str = "main") -> Trajectory:
    """The one recording of `role`."""
    (t,) = runs[role]
    return t


def rms(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance of two uint8 images on a 0..1 scale."""
    d = a.astype(np.float32) / 255 - b.astype(np.float32) / 255
    return float(np.sqrt(np.mean(d * d)))


def mean_pairwise(images: Sequence[np.ndarray]) -> float:
    """Mean RMS distance over all pairs of images (0 for fewer than two)."""
    pairs = list(combinations(range(len(images)), 2))
    return float(np.mean([rms(images[i], images[j]) for i, j in pairs])) if pairs else 0.0


def change_along(images: np.ndarray) -> np.ndarray:
    """RMS distance of each image to the one before it (0 for the first), float32."""
    return np.array([0.0] + [rms(images[i - 1], images[i]) for i in range(1, len(images))], np.float32)


def saturation(image: np.ndarray) -> float:
    """Mean HSV saturation (0..1) of a uint8 RGB image (or a stack of them)."""
    x = image.astype(np.float32) / 255
    mx, mn = x.max(axis=-1), x.min(axis=-1)
    sat = np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    return float(sat.mean())


def stack(runs: list[Trajectory], field: str) -> np.ndarray:
    """One array field of several recordings, stacked on a new first axis."""
    return np.stack([getattr(t, field) for t in runs])
