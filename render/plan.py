"""Plan: from a storyboard's chapters to deduplicated generation requests, each with its cache key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from render.kinds import KINDS
from render.requests import GenerationRequest, request_folder_name, request_key


@dataclass
class PlannedRequest:
    request: GenerationRequest
    key: str
    folder: str  # the bundle's folder name in the cache: {slug}-s{seed}-{key[:10]}
    chapters: list[str] = field(default_factory=list)


@dataclass
class ChapterPlan:
    id: str
    kind: str
    title: str
    params: dict[str, Any]
    roles: dict[str, list[str]]  # role name -> request keys, in the kind's order


@dataclass
class Plan:
    model: dict[str, Any]  # the model identity that every key includes
    width: int
    height: int
    requests: dict[str, PlannedRequest]  # by key, in first-use order
    chapters: list[ChapterPlan]

    def missing(self, has: Any) -> list[PlannedRequest]:
        """The requests whose bundle `has(folder)` says is not stored yet."""
        return [p for p in self.requests.values() if not has(p.folder)]


def make_plan(storyboard, model_identity: dict[str, Any], native_size: tuple[int, int]) -> Plan:
    """Resolve every chapter's parameters (sizes default to the model's own) and collect its requests."""
    width = storyboard.defaults.width or native_size[0]
    height = storyboard.defaults.height or native_size[1]
    requests: dict[str, PlannedRequest] = {}
    chapters = []
    for chapter in storyboard.chapters:
        params = dict(chapter.params)
        params["width"] = params.get("width") or width
        params["height"] = params.get("height") or height
        roles: dict[str, list[str]] = {}
        for role, role_requests in KINDS[chapter.kind].requests(params).items():
            keys = []
            for r in role_requests:
                key = request_key(r, model_identity)
                planned = requests.setdefault(key, PlannedRequest(r, key, request_folder_name(r, key)))
                if chapter.id not in planned.chapters:
                    planned.chapters.append(chapter.id)
                keys.append(key)
            roles[role] = keys
        chapters.append(ChapterPlan(chapter.id, chapter.kind, chapter.title, params, roles))
    return Plan(model=model_identity, width=width, height=height, requests=requests, chapters=chapters)


def describe_plan(plan: Plan, has: Any) -> str:
    """A table of the requests: cached or to do, what they are, and which chapters use them."""
    lines = [f"model {plan.model['id']} (weights {plan.model['weights']}), {plan.width}x{plan.height} px"]
    todo = 0
    for p in plan.requests.values():
        cached = has(p.folder)
        todo += not cached
        lines.append(
            f"  {'cached' if cached else 'to do '}  {p.key[:10]}  {p.request.describe()}  <- {', '.join(p.chapters)}"
        )
    total_steps = sum(p.request.steps for p in plan.requests.values() if not has(p.folder))
    lines.append(
        f"{len(plan.requests)} requests for {len(plan.chapters)} chapters; "
        f"{len(plan.requests) - todo} cached, {todo} to generate ({total_steps} denoising steps)"
    )
    return "\n".join(lines)
