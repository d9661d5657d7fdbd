"""embedding_map: many prompts' embeddings projected to 2D (t-SNE or PCA), coloured by group.

The pooled prompt embeddings come from the model's text encoder through `AnalysisContext.encode`;
each prompt also gets one image (the chapter's seed), so the map's neighbours can be seen to draw
alike.

Chapter data (P prompts: the groups' prompts in order, then the highlight if it is in no group):
    info: prompts (list), groups (group names), group_of (group index per prompt, -1 for none),
          highlight (index or null), method ("pca" | "tsne"), perplexity, neighbours (per prompt,
          the indices of its NEIGHBOURS nearest prompts by embedding, nearest first)
    arrays: coords [P, 2] (the chosen method, scaled to [-1, 1]), pca [P, 2], tsne [P, 2],
            similarity [P] (cosine similarity to the highlight, or to the first prompt),
            images [P, H, W, 3] (each prompt's image)
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

import render.kinds.measures as measures
from render.engine.requests import FINAL_ONLY
from render.kinds.base import AnalysisContext, Kind, Runs, SceneRef, Settings, ShownByRole, stack
from render.kinds.facts import Claim, Fact
from render.kinds.latent_basis import fix_signs
from render.paths import SCENES_DIR
from render.storyboard.schema import ChapterBase, Prompt, not_blank
from render.web.figure import FIGURE_SCRIPTS, Sprites, WebFigure, pick, rounded


def _at_least_two_groups(groups: dict[str, list[str]]) -> dict[str, list[str]]:
    if len(groups) < 2:
        raise PydanticCustomError("too_few_groups", "needs at least 2 groups, got {n}", {"n": len(groups)})
    return groups


class EmbeddingMapChapter(ChapterBase):
    """Many prompts projected to 2D, clusters labelled."""

    prompt_fields = ("highlight", "groups")
    kind: Literal["embedding_map"]
    groups: Annotated[
        dict[Annotated[str, AfterValidator(not_blank)], Annotated[list[Prompt], Field(min_length=2)]],
        AfterValidator(_at_least_two_groups),
    ] = Field(
        description="a mapping of group name to a list of prompts: at least 2 groups, 2 prompts each",
        json_schema_extra={"minProperties": 2},  # what _at_least_two_groups checks, for editors
    )
    highlight: Prompt | None = Field(default=None, description="a non-empty prompt, or left out")
    method: Literal["pca", "tsne"] = Field(default="tsne", description="pca or tsne")

    def map_prompts(self) -> list[str]:
        """The prompts on the map: every group's, in order, then the highlight if it is in no group."""
        prompts = [p for group in self.groups.values() for p in group]
        if self.highlight and self.highlight not in prompts:
            prompts.append(self.highlight)
        return prompts


NEIGHBOURS = 3


def _scaled(coords: np.ndarray) -> np.ndarray:
    """Centre 2D points and scale them into [-1, 1] (same factor on both axes)."""
    c = coords - coords.mean(axis=0)
    m = float(np.abs(c).max())
    return (c / m if m > 0 else c).astype(np.float32)


def figure(info: dict, arrays: dict, sprites: Sprites) -> dict:
    """The page's figure, drawn by static/figures/embedding_map.js: chapter data -> its JSON and sprite sheets."""
    return {
        **pick(info, "prompts", "groups", "group_of", "highlight", "method"),
        "coords": rounded(arrays["coords"]),
        "similarity": rounded(arrays["similarity"], 3),
    }


class EmbeddingMap(Kind[EmbeddingMapChapter]):
    name = "embedding_map"
    order = 4  # its place in the guide
    example = {
        "groups": {"circles": ["a red circle", "a blue circle"], "stars": ["a star", "an orange star"]},
        "highlight": "a red heart",
        "method": "tsne",
    }
    chapter = EmbeddingMapChapter
    scene = SceneRef(SCENES_DIR / "embedding_map.py", "EmbeddingMapScene")
    web = WebFigure(figure, FIGURE_SCRIPTS / "embedding_map.js")
    facts = {
        "prompt_count": "how many prompts the map shows",
        "nearest_in_group": "the share of grouped prompts whose nearest prompt (by embedding) is in their own group",
        "highlight_nearest": "the prompt nearest to the highlighted one",
        "highlight_group": "the group of the prompt nearest to the highlighted one",
        "image_distance_ratio": "each prompt's image distance to its nearest prompt's image, relative to its mean "
        "distance to the others' (below 1: nearby prompts draw alike)",
    }
    claims = {
        "groups_cluster": Claim(
            says="prompts about the same thing land close together",
            fact="nearest_in_group",
            test=lambda v: v >= 0.75,
            rule=">= 0.75 (most prompts)",
        ),
        "near_means_alike": Claim(
            says="nearby embeddings lead to similar images",
            fact="image_distance_ratio",
            test=lambda v: v < 0.8,
            rule="< 0.8",
        ),
    }

    def requests(self, chapter: EmbeddingMapChapter, settings: Settings):
        return {"images": [settings.request(p) for p in chapter.map_prompts()]}

    def shown(self, chapter: EmbeddingMapChapter, settings: Settings) -> ShownByRole:
        return {"images": [FINAL_ONLY] * len(chapter.map_prompts())}

    def analyse(self, chapter: EmbeddingMapChapter, settings: Settings, runs: Runs, context: AnalysisContext):
        if context.encode is None:
            raise ValueError("embedding_map needs AnalysisContext.encode (pooled prompt embeddings)")
        prompts = chapter.map_prompts()
        groups = list(chapter.groups)
        # -1: the highlight prompt when it is in no group
        group_of = [next((gi for gi, g in enumerate(groups) if p in chapter.groups[g]), -1) for p in prompts]
        emb = np.asarray(context.encode(prompts), np.float64)
        if emb.shape[0] != len(prompts):
            raise ValueError(f"encode returned {emb.shape[0]} embeddings for {len(prompts)} prompts")
        emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        from sklearn.decomposition import PCA  # scikit-learn takes seconds to import: only when a map is made
        from sklearn.manifold import TSNE

        pca = PCA(n_components=2, svd_solver="full").fit(emb)
        pca_xy = (emb - pca.mean_) @ fix_signs(pca.components_).T
        perplexity = float(max(1.0, min(30.0, (len(prompts) - 1) / 3)))
        tsne_xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0).fit_transform(emb)
        h_index = prompts.index(chapter.highlight) if chapter.highlight else None
        ref = emb[h_index if h_index is not None else 0]
        cosine = emb @ emb.T
        np.fill_diagonal(cosine, -np.inf)
        neighbours = np.argsort(-cosine, axis=1, kind="stable")[:, :NEIGHBOURS]
        info = {
            "prompts": prompts,
            "groups": groups,
            "group_of": group_of,
            "highlight": h_index,
            "method": chapter.method,
            "perplexity": perplexity,
            "neighbours": neighbours.tolist(),
        }
        pca_s, tsne_s = _scaled(pca_xy), _scaled(tsne_xy)
        arrays = {
            "coords": tsne_s if chapter.method == "tsne" else pca_s,
            "pca": pca_s,
            "tsne": tsne_s,
            "similarity": (emb @ ref).astype(np.float32),
            "images": stack(runs["images"], "image"),
        }
        return info, arrays

    def measure(self, chapter, settings, runs, context, info, arrays):
        prompts, group_of, near = info["prompts"], info["group_of"], info["neighbours"]
        grouped = [i for i, g in enumerate(group_of) if g >= 0]
        images = arrays["images"]
        ratios = []
        for i in range(len(prompts)):
            others = [measures.rms(images[i], images[j]) for j in range(len(prompts)) if j != i]
            ratios.append(measures.rms(images[i], images[near[i][0]]) / max(float(np.mean(others)), 1e-6))
        facts = {
            "prompt_count": len(prompts),
            "nearest_in_group": float(np.mean([group_of[near[i][0]] == group_of[i] for i in grouped])),
            "image_distance_ratio": float(np.mean(ratios)),
            "highlight_nearest": None,
            "highlight_group": None,
        }
        if info["highlight"] is not None:
            nearest = near[info["highlight"]][0]
            facts["highlight_nearest"] = Fact.of(prompts[nearest])
            g = group_of[nearest]
            facts["highlight_group"] = Fact.of(info["groups"][g] if g >= 0 else "none")
        return facts
