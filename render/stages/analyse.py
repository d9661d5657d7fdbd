"""The analyse stage: each chapter's recordings -> its chapter data bundle (what its scene reads)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from render.chapter_data import CHAPTER_JSON, write_chapter_data
from render.engine.trajectory import Trajectory
from render.kinds.base import AnalysisContext, ModelInfo
from render.kinds.facts import as_facts, check_claims, fill
from render.kinds.latent_basis import LatentBasis, fit_latent_basis
from render.media.files import atomic_path
from render.progress import say
from render.session import Session
from render.stages.keyed import keyed
from render.stages.plan import ChapterPlan


def analyse(session: Session, chapters: list[ChapterPlan]) -> dict[str, Path]:
    """Chapter data bundles (cache/chapters/{id}-{key}), made where missing; by chapter id."""
    folders = {chapter.id: session.data_folder(chapter) for chapter in chapters}

    def make(todo: list[ChapterPlan]):
        basis = _shared_basis(session) if any(c.kind.uses_latent_basis for c in todo) else None
        encoder = PromptEncoder(session)
        for chapter in todo:
            start = time.perf_counter()
            info, arrays = analyse_chapter(session, chapter, basis, encoder)
            yield chapter, (info, arrays, time.perf_counter() - start)

    keyed(
        chapters,
        lambda chapter: folders[chapter.id],
        make,
        store=lambda folder, made: write_chapter_data(folder, made[0], made[1]),
        present=lambda chapter: (folders[chapter.id] / CHAPTER_JSON).is_file(),
        lock=(session.cache, "analyse"),
        progress=("analyse", "chapter"),
        label=lambda chapter, made: f"{chapter.id} ({chapter.kind.name}) in {made[2]:.1f} s",
    )
    return folders


def analyse_chapter(session: Session, chapter: ChapterPlan, basis: LatentBasis | None, encode) -> tuple[dict, dict]:
    """(chapter.json info, arrays) of one chapter: its kind's analysis plus what every bundle carries."""
    runs = {role: trajectories(session, keys) for role, keys in chapter.roles.items()}
    first = next((t[0] for t in runs.values() if t), None)
    if first is None:  # a kind that generates nothing still knows the image size
        model = ModelInfo(chapter.settings.width, chapter.settings.height, 0, 0, 0)
    else:
        model = ModelInfo.from_trajectory(first)
    context = AnalysisContext(model=model, latent_basis=basis, encode=encode, reader=session.reader)
    kind, spec, settings = chapter.kind, chapter.chapter, chapter.settings
    info, arrays = kind.analyse(spec, settings, runs, context)
    # The facts the narration may say, the beats with them filled in, and the stated claims checked
    measured = kind.measure(spec, settings, runs, context, info, arrays)
    unknown = set(measured) - set(kind.facts)
    if unknown:
        raise ValueError(f"kind {kind.name} measured facts it does not declare: {', '.join(sorted(unknown))}")
    facts = as_facts({name: measured.get(name) for name in kind.facts})
    claims = check_claims(spec.stated_claims(), kind.claims, facts)
    info = {
        **info,
        "kind": kind.name,
        "title": chapter.title,
        "narration": [fill(text, facts) for text in spec.beats],
        "narration_written": spec.beats,
        "facts": {name: fact.as_json() for name, fact in facts.items()},
        "claims": [c.as_json() for c in claims],
        "params": chapter.params,
        "theme": session.storyboard.video.theme,
    }
    if session.credit_for(chapter):
        info["credit"] = session.credit_for(chapter)
    return info, arrays


def trajectories(session: Session, keys: list[str]) -> list[Trajectory]:
    """The recorded trajectories of these request keys, from the cache."""
    out = []
    for key in keys:
        planned = session.plan.requests[key]
        trajectory = session.cache.load_trajectory(planned.folder, warn=say)
        if trajectory is None:
            raise RuntimeError(f"trajectory {planned.folder} is missing from the cache; run generate again")
        out.append(trajectory)
    return out


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.save(tmp, array)


def _shared_basis(session: Session) -> LatentBasis | None:
    keys = session.basis_keys()
    return fit_latent_basis(trajectories(session, keys)) if keys else None


class PromptEncoder:
    """Pooled prompt embeddings for embedding maps, cached per (model, prompt); the model loads lazily."""

    def __init__(self, session: Session):
        self.session = session

    def __call__(self, prompts: list[str]) -> np.ndarray:
        path = self.session.embedding_path
        keyed(list(dict.fromkeys(prompts)), path, lambda todo: ((p, self._encode(p)) for p in todo), store=_save_npy)
        return np.stack([np.load(path(prompt)) for prompt in prompts])

    def _encode(self, prompt: str) -> np.ndarray:
        from render.engine.sampling import pooled_prompt_embedding

        model = self.session.load_model()
        return pooled_prompt_embedding(model.pipe, prompt, is_prx=model.is_prx)
