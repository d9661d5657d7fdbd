"""Plan: from a storyboard's chapters to deduplicated generation requests, each with its cache key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from render.engine.requests import FINAL_ONLY, GenerationRequest, Shown
from render.keys import request_key, trajectory_folder_name
from render.kinds import KINDS
from render.kinds.base import Kind, Settings
from render.kinds.facts import verification_seeds
from render.storyboard import ChapterBase, Storyboard
from render.words import plural


@dataclass
class PlannedRequest:
    request: GenerationRequest
    key: str
    folder: str  # the bundle's folder name in the cache: {slug}-s{seed}-{key[:10]}
    chapters: list[str] = field(default_factory=list)
    shown: Shown = FINAL_ONLY  # the images its chapters show, together


@dataclass
class ChapterPlan:
    """One chapter, resolved: its kind, its typed storyboard entry, its settings and its requests by role."""

    chapter: ChapterBase
    kind: Kind
    settings: Settings
    roles: dict[str, list[str]]  # role name -> request keys, in the kind's order

    @property
    def id(self) -> str:
        return self.chapter.id

    @property
    def title(self) -> str:
        return self.chapter.title

    @property
    def params(self) -> dict[str, Any]:
        """The kind's parameters and the resolved settings, as plain data (chapter.json's `params`)."""
        return {**self.chapter.own_params(), **vars(self.settings)}


@dataclass
class Plan:
    model: dict[str, Any]  # the model identity that every key includes
    runtime: dict[str, str]  # where the model runs: device class and dtype (render/engine/models.py `Runtime`)
    width: int
    height: int
    requests: dict[str, PlannedRequest]  # by key, in first-use order
    chapters: list[ChapterPlan]

    def missing(self, has: Callable[[str, Shown], bool]) -> list[PlannedRequest]:
        """The requests whose bundle `has(folder, shown)` says is not stored yet, or lacks images to show."""
        return [p for p in self.requests.values() if not has(p.folder, p.shown)]

    def only(self, chapter_ids: set[str]) -> None:
        """Keep only the requests that these chapters need (`subset`)."""
        self.requests = self.subset(chapter_ids).requests

    def subset(self, chapter_ids: set[str]) -> Plan:
        """The plan of the requests these chapters need (this plan is left as it is): their own and, when
        one of them is drawn in the shared latent basis, those of every chapter the basis is fitted on."""
        basis = {c.id for c in self.chapters if c.kind.uses_latent_basis}
        needed = set(chapter_ids) | (basis if basis & set(chapter_ids) else set())
        requests = {k: p for k, p in self.requests.items() if set(p.chapters) & needed}
        return replace(self, requests=requests)


def settings_for(storyboard: Storyboard, chapter: ChapterBase, width: int, height: int) -> Settings:
    """The chapter's overrides resolved against the storyboard's defaults."""
    d = storyboard.defaults
    return Settings(
        seed=d.seed if chapter.seed is None else chapter.seed,
        steps=d.steps if chapter.steps is None else chapter.steps,
        guidance=d.guidance if chapter.guidance is None else chapter.guidance,
        negative_prompt=d.negative_prompt if chapter.negative_prompt is None else chapter.negative_prompt,
        width=width,
        height=height,
    )


def make_plan(
    storyboard: Storyboard, model_identity: dict[str, Any], native_size: tuple[int, int], *, runtime: dict[str, str]
) -> Plan:
    """Resolve every chapter's settings (sizes default to the model's own) and collect its requests, keyed by
    what they ask, the model's identity and where it runs (`runtime`)."""
    width = storyboard.defaults.width or native_size[0]
    height = storyboard.defaults.height or native_size[1]
    requests: dict[str, PlannedRequest] = {}
    chapters = []
    for chapter in storyboard.chapters:
        kind = KINDS[chapter.kind]
        settings = settings_for(storyboard, chapter, width, height)
        roles: dict[str, list[str]] = {}
        wanted, shown = kind.requests(chapter, settings), kind.shown(chapter, settings)
        if kind.general_claims_stated(chapter):  # checked on the chapter's seeds and on seeds of the tool's own
            own = {r.seed for reqs in wanted.values() for r in reqs}
            more = kind.verify_requests(chapter, settings, verification_seeds(kind.name, avoid=own))
            wanted |= more
            shown |= {role: [FINAL_ONLY] * len(reqs) for role, reqs in more.items()}
        for role, role_requests in wanted.items():
            keys = []
            for r, show in zip(role_requests, shown[role], strict=True):
                key = request_key(r, model_identity, runtime)
                planned = requests.setdefault(key, PlannedRequest(r, key, trajectory_folder_name(r, key)))
                if chapter.id not in planned.chapters:
                    planned.chapters.append(chapter.id)
                planned.shown |= show
                keys.append(key)
            roles[role] = keys
        chapters.append(ChapterPlan(chapter, kind, settings, roles))
    return Plan(model=model_identity, runtime=runtime, width=width, height=height, requests=requests, chapters=chapters)


def describe_plan(plan: Plan, has: Callable[[str, Shown], bool]) -> str:
    """A table of the requests: cached or to do, what they are, and which chapters use them."""
    where = f"{plan.runtime['device']}, {plan.runtime['dtype']}"
    lines = [f"model {plan.model['id']} (weights {plan.model['weights']}, on {where}), {plan.width}x{plan.height} px"]
    todo = 0
    for p in plan.requests.values():
        cached = has(p.folder, p.shown)
        todo += not cached
        lines.append(
            f"  {'cached' if cached else 'to do '}  {p.key[:10]}  {p.request.describe()}  <- {', '.join(p.chapters)}"
        )
    total_steps = sum(p.request.steps for p in plan.requests.values() if not has(p.folder, p.shown))
    lines.append(
        f"{plural(len(plan.requests), 'request')} for {plural(len(plan.chapters), 'chapter')}; "
        f"{len(plan.requests) - todo} cached, {todo} to generate ({plural(total_steps, 'denoising step')})"
    )
    return "\n".join(lines)
