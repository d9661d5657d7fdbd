"""Chapter kinds: what each kind asks the model for, and how its recordings become chapter data.

`KINDS[kind]` is a `Kind` with
- `requests(params) -> {role: [GenerationRequest, ...]}`: the generations the chapter needs, by
  role (params are the chapter's resolved parameters: `seed`, `steps`, `guidance`,
  `negative_prompt`, `width`, `height` always present, plus the kind's own);
- `embeddings(params) -> [prompt, ...]` (optional): prompts whose pooled embeddings it needs,
  obtained through `AnalysisContext.encode` without sampling anything;
- `analyse(params, trajectories, context) -> (info, arrays)`: `trajectories` has the same roles,
  each list in the order of `requests`; `info` goes into chapter.json (next to kind, title,
  params, theme that the caller adds) and `arrays` into arrays.npz (render/chapter_data.py).

Images are uint8 [.., H, W, 3] at the model's size (scenes upscale); numbers are float32.
Notation below: n = steps, H x W image size, h x w latent size, S seeds, ... .

Chapter data keys per kind (info keys; arrays with shapes):

noise_sampling
    info: width, height, channels (3), values_per_image (W*H*3), levels (256), exponent
          (N = W*H*3*log10(256): there are 10^N images), digits (floor(N)+1),
          atoms_exponent (80), nesting_levels (N/80: universes-made-of-atoms nesting depth),
          samples (count)
    arrays: samples [samples, H, W, 3]  (uniform random uint8 from numpy default_rng(seed))
denoising
    info: prompt, seed, steps, guidance, sigmas (list, n+1)
    arrays: previews [n+1, H, W, 3], x0_previews [n, H, W, 3], sigmas [n+1], timesteps [n]
latent_space
    info: prompt, seed, steps, image_shape [H, W, 3], latent_shape [C, h, w], image_values,
          latent_values, ratio (image_values / latent_values), colour_variance (explained
          variance ratios of the 3 per-position colour components), path_variance (2 ratios)
    arrays: previews [n+1, H, W, 3], latent_colour [n+1, h, w, 3] (3 PCA components as RGB,
            show with nearest-neighbour), x0_colour [n, h, w, 3], path [n+1, 2] (latents in the
            2D PCA plane), x0_path [n, 2], sigmas [n+1]
embedding_map
    info: prompts (list), groups (group names), group_of (group index per prompt),
          highlight (index or null), method ("pca" | "tsne"), perplexity
    arrays: coords [P, 2] (the chosen method, scaled to [-1, 1]), pca [P, 2], tsne [P, 2],
            similarity [P] (cosine similarity to the highlight, or to the first prompt)
seed_comparison
    info: prompt, seeds, steps, image_distance ([S][S] RMS distance of final images, 0..1)
    arrays: previews [S, n+1, H, W, 3], x0_previews [S, n, H, W, 3], images [S, H, W, 3],
            paths [S, n+1, 2] (shared PCA plane), spread [n+1] (mean pairwise distance of the
            latents per step, relative to step 0), sigmas [n+1]
step_comparison
    info: prompt, seed, step_counts
    arrays: images [R, H, W, 3]; per run i: previews_{i} [k_i+1, H, W, 3],
            x0_previews_{i} [k_i, H, W, 3], sigmas_{i} [k_i+1]
prompt_detail
    info: prompts, seeds, variety (per prompt: mean pairwise RMS distance of its final images)
    arrays: images [P, S, H, W, 3], previews [P, S, n+1, H, W, 3], variety [P]
prompt_length
    info: prompt, words, prefixes (prefix i = the first i+1 words)
    arrays: images [K, H, W, 3], previews [K, n+1, H, W, 3], change [K] (RMS distance to the
            previous prefix's image; 0 for the first)
interpolation
    info: from_prompt, to_prompt, ts (list of t), steps
    arrays: images [P, H, W, 3], previews [P, n+1, H, W, 3] (the sweep grid: position x step),
            x0_previews [P, n, H, W, 3], ts [P], change [P]
guidance_comparison
    info: prompt, seed, guidance_scales, saturation (mean HSV saturation of each final image, 0..1)
    arrays: images [G, H, W, 3], previews [G, n+1, H, W, 3], saturation [G]
summary
    info: prompt, seed, steps, guidance, controls ([{name, value}] for seed, prompt, steps, guidance)
    arrays: previews [n+1, H, W, 3], x0_previews [n, H, W, 3], image [H, W, 3], sigmas [n+1]

No torch or diffusers here: the engine supplies `encode` in the context.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from render.requests import EmbeddingRecipe, GenerationRequest
from render.trajectory import Trajectory

Params = dict[str, Any]
Info = dict[str, Any]
Arrays = dict[str, np.ndarray]

ATOMS_IN_UNIVERSE_EXPONENT = 80  # ~10^80 atoms in the observable universe


# ---- shared latent PCA basis --------------------------------------------------------------------


def _fix_signs(components: np.ndarray) -> np.ndarray:
    """Flip each component so its largest-|value| entry is positive (stable across runs)."""
    out = components.copy()
    for k in range(out.shape[0]):
        if out[k, np.argmax(np.abs(out[k]))] < 0:
            out[k] = -out[k]
    return out


@dataclass
class LatentBasis:
    """Two PCA bases over latents, shared by all chapters so colours and paths are comparable.

    - colour basis: per spatial position, channels as features ([C] -> 3 components); the
      component scores, scaled by their 1st..99th percentiles over the fitted data, are RGB.
    - path basis: whole flattened latents ([C*h*w] -> 2 components): the 2D trajectory plane.
    """

    colour_mean: np.ndarray  # [C]
    colour_components: np.ndarray  # [3, C] (rows beyond C's rank are zero)
    colour_lo: np.ndarray  # [3]
    colour_hi: np.ndarray  # [3]
    colour_variance: np.ndarray  # [3] explained variance ratio
    path_shape: tuple[int, int, int]  # (C, h, w) the path basis was fitted on
    path_mean: np.ndarray  # [C*h*w]
    path_components: np.ndarray  # [2, C*h*w]
    path_variance: np.ndarray  # [2]

    def colour(self, latents: np.ndarray) -> np.ndarray:
        """Latents [..., C, h, w] -> uint8 RGB [..., h, w, 3]."""
        x = np.moveaxis(np.asarray(latents, np.float32), -3, -1)  # [..., h, w, C]
        scores = (x - self.colour_mean) @ self.colour_components.T
        span = np.maximum(self.colour_hi - self.colour_lo, 1e-6)
        return (np.clip((scores - self.colour_lo) / span, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)

    def project(self, latents: np.ndarray) -> np.ndarray:
        """Latents [..., C, h, w] -> path-plane coordinates [..., 2]."""
        lead = latents.shape[:-3]
        if tuple(latents.shape[-3:]) != self.path_shape:
            raise ValueError(f"latents {latents.shape[-3:]} do not fit the path basis {self.path_shape}")
        flat = np.asarray(latents, np.float32).reshape(*lead, -1)
        return ((flat - self.path_mean) @ self.path_components.T).astype(np.float32)


def fit_latent_basis(trajectories: Sequence[Trajectory]) -> LatentBasis:
    """Fit the shared bases on every latent (all steps) of `trajectories`.

    Both bases use the trajectories with the most common latent shape; chapters whose
    latents differ get their own basis from `AnalysisContext.basis_for`.
    """
    if not trajectories:
        raise ValueError("fit_latent_basis needs at least one trajectory")
    shapes = Counter(tuple(t.latents.shape[1:]) for t in trajectories)
    shape = shapes.most_common(1)[0][0]
    c = shape[0]
    same = [t for t in trajectories if tuple(t.latents.shape[1:]) == shape]

    pixels = np.concatenate([np.moveaxis(t.latents.astype(np.float32), 1, -1).reshape(-1, c) for t in same])
    k = min(3, c, pixels.shape[0])
    pca = PCA(n_components=k, svd_solver="full").fit(pixels)
    comps = np.zeros((3, c), np.float32)
    comps[:k] = _fix_signs(pca.components_)
    variance = np.zeros(3, np.float32)
    variance[:k] = pca.explained_variance_ratio_
    scores = (pixels - pca.mean_) @ comps.T
    lo, hi = np.percentile(scores, 1, axis=0), np.percentile(scores, 99, axis=0)

    flat = np.concatenate([t.latents.astype(np.float32).reshape(t.latents.shape[0], -1) for t in same])
    kp = min(2, flat.shape[0], flat.shape[1])
    path_pca = PCA(n_components=kp, svd_solver="full").fit(flat)
    path_comps = np.zeros((2, flat.shape[1]), np.float32)
    path_comps[:kp] = _fix_signs(path_pca.components_)
    path_var = np.zeros(2, np.float32)
    path_var[:kp] = path_pca.explained_variance_ratio_
    return LatentBasis(
        colour_mean=pca.mean_.astype(np.float32),
        colour_components=comps,
        colour_lo=lo.astype(np.float32),
        colour_hi=hi.astype(np.float32),
        colour_variance=variance,
        path_shape=shape,
        path_mean=path_pca.mean_.astype(np.float32),
        path_components=path_comps,
        path_variance=path_var,
    )


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


@dataclass
class AnalysisContext:
    """What analysis needs beyond a chapter's own trajectories."""

    model: ModelInfo
    latent_basis: LatentBasis | None
    encode: Callable[[list[str]], np.ndarray] | None = None  # prompts -> pooled embeddings [n, D]

    def basis_for(self, trajectories: Sequence[Trajectory]) -> LatentBasis:
        """The shared basis if it fits these latents, else one fitted on them alone."""
        shape = tuple(trajectories[0].latents.shape[1:])
        if (
            self.latent_basis is not None
            and self.latent_basis.path_shape == shape
            and (self.latent_basis.colour_mean.shape[0] == shape[0])
        ):
            return self.latent_basis
        return fit_latent_basis(trajectories)


# ---- helpers ------------------------------------------------------------------------------------


def _request(params: Params, prompt: str | None = None, **overrides: Any) -> GenerationRequest:
    for key in ("width", "height"):
        if params.get(key) is None:
            raise ValueError(f"params[{key!r}] must be resolved to the model's size before planning")
    fields = {
        "prompt": prompt,
        "negative_prompt": params.get("negative_prompt", ""),
        "seed": int(params["seed"]),
        "steps": int(params["steps"]),
        "guidance": float(params["guidance"]),
        "width": int(params["width"]),
        "height": int(params["height"]),
    }
    fields.update(overrides)
    return GenerationRequest(**fields)


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance of two uint8 images on a 0..1 scale."""
    d = a.astype(np.float32) / 255 - b.astype(np.float32) / 255
    return float(np.sqrt(np.mean(d * d)))


def _mean_pairwise(images: Sequence[np.ndarray]) -> float:
    pairs = list(combinations(range(len(images)), 2))
    return float(np.mean([_rms(images[i], images[j]) for i, j in pairs])) if pairs else 0.0


def _saturation(image: np.ndarray) -> float:
    """Mean HSV saturation (0..1) of a uint8 RGB image."""
    x = image.astype(np.float32) / 255
    mx, mn = x.max(axis=-1), x.min(axis=-1)
    sat = np.where(mx > 1e-6, (mx - mn) / np.maximum(mx, 1e-6), 0.0)
    return float(sat.mean())


def _scaled(coords: np.ndarray) -> np.ndarray:
    """Centre 2D points and scale them into [-1, 1] (same factor on both axes)."""
    c = coords - coords.mean(axis=0)
    m = float(np.abs(c).max())
    return (c / m if m > 0 else c).astype(np.float32)


def _only(trajectories: dict[str, list[Trajectory]], role: str = "main") -> Trajectory:
    (t,) = trajectories[role]
    return t


# ---- noise_sampling -----------------------------------------------------------------------------


def noise_sampling_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {}


def noise_sampling_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    width = int(params.get("width") or context.model.width)
    height = int(params.get("height") or context.model.height)
    channels = context.model.channels
    samples = int(params.get("samples", 24))
    rng = np.random.default_rng(int(params["seed"]))
    images = rng.integers(0, 256, size=(samples, height, width, channels), dtype=np.uint8)
    values = width * height * channels
    exponent = values * math.log10(256)
    info = {
        "width": width,
        "height": height,
        "channels": channels,
        "values_per_image": values,
        "levels": 256,
        "exponent": exponent,
        "digits": math.floor(exponent) + 1,
        "atoms_exponent": ATOMS_IN_UNIVERSE_EXPONENT,
        "nesting_levels": exponent / ATOMS_IN_UNIVERSE_EXPONENT,
        "samples": samples,
    }
    return info, {"samples": images}


# ---- denoising ----------------------------------------------------------------------------------


def single_prompt_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {"main": [_request(params, params["prompt"])]}


def denoising_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    t = _only(trajectories)
    info = {
        "prompt": params["prompt"],
        "seed": int(params["seed"]),
        "steps": t.steps,
        "guidance": float(params["guidance"]),
        "sigmas": [float(s) for s in t.sigmas],
    }
    arrays = {
        "previews": t.previews,
        "x0_previews": t.x0_previews,
        "sigmas": t.sigmas.astype(np.float32),
        "timesteps": t.timesteps.astype(np.float32),
    }
    return info, arrays


# ---- latent_space -------------------------------------------------------------------------------


def latent_space_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    t = _only(trajectories)
    basis = context.basis_for([t])
    c, h, w = t.latents.shape[1:]
    H, W = t.image.shape[:2]
    image_values, latent_values = H * W * 3, c * h * w
    info = {
        "prompt": params["prompt"],
        "seed": int(params["seed"]),
        "steps": t.steps,
        "image_shape": [H, W, 3],
        "latent_shape": [c, h, w],
        "image_values": image_values,
        "latent_values": latent_values,
        "ratio": image_values / latent_values,
        "colour_variance": [float(v) for v in basis.colour_variance],
        "path_variance": [float(v) for v in basis.path_variance],
    }
    arrays = {
        "previews": t.previews,
        "latent_colour": basis.colour(t.latents),
        "x0_colour": basis.colour(t.x0),
        "path": basis.project(t.latents),
        "x0_path": basis.project(t.x0),
        "sigmas": t.sigmas.astype(np.float32),
    }
    return info, arrays


# ---- embedding_map ------------------------------------------------------------------------------


def _embedding_prompts(params: Params) -> list[str]:
    prompts = [p for group in params["groups"].values() for p in group]
    highlight = params.get("highlight")
    if highlight and highlight not in prompts:
        prompts.append(highlight)
    return prompts


def embedding_map_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {}


def embedding_map_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    if context.encode is None:
        raise ValueError("embedding_map needs AnalysisContext.encode (pooled prompt embeddings)")
    prompts = _embedding_prompts(params)
    groups = list(params["groups"])
    group_of = []
    for p in prompts:
        idx = next((gi for gi, g in enumerate(groups) if p in params["groups"][g]), -1)
        group_of.append(idx)  # -1: the highlight prompt when it is in no group
    emb = np.asarray(context.encode(prompts), np.float64)
    if emb.shape[0] != len(prompts):
        raise ValueError(f"encode returned {emb.shape[0]} embeddings for {len(prompts)} prompts")
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    pca = PCA(n_components=2, svd_solver="full").fit(emb)
    pca_xy = (emb - pca.mean_) @ _fix_signs(pca.components_).T
    n = len(prompts)
    perplexity = float(max(1.0, min(30.0, (n - 1) / 3)))
    tsne_xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0).fit_transform(emb)
    method = params.get("method", "tsne")
    highlight = params.get("highlight")
    h_index = prompts.index(highlight) if highlight else None
    ref = emb[h_index if h_index is not None else 0]
    info = {
        "prompts": prompts,
        "groups": groups,
        "group_of": group_of,
        "highlight": h_index,
        "method": method,
        "perplexity": perplexity,
    }
    pca_s, tsne_s = _scaled(pca_xy), _scaled(tsne_xy)
    arrays = {
        "coords": tsne_s if method == "tsne" else pca_s,
        "pca": pca_s,
        "tsne": tsne_s,
        "similarity": (emb @ ref).astype(np.float32),
    }
    return info, arrays


# ---- seed_comparison ----------------------------------------------------------------------------


def seed_comparison_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {"seeds": [_request(params, params["prompt"], seed=int(s)) for s in params["seeds"]]}


def seed_comparison_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    runs = trajectories["seeds"]
    basis = context.basis_for(runs)
    images = [t.image for t in runs]
    s = len(runs)
    distance = [[_rms(images[i], images[j]) for j in range(s)] for i in range(s)]
    lat = np.stack([t.latents.astype(np.float32).reshape(t.latents.shape[0], -1) for t in runs])  # [S, n+1, D]
    spread = np.array(
        [
            np.mean([np.linalg.norm(lat[i, k] - lat[j, k]) for i, j in combinations(range(s), 2)])
            for k in range(lat.shape[1])
        ],
        np.float32,
    )
    spread = spread / max(float(spread[0]), 1e-12)
    info = {
        "prompt": params["prompt"],
        "seeds": [int(x) for x in params["seeds"]],
        "steps": runs[0].steps,
        "image_distance": distance,
    }
    arrays = {
        "previews": np.stack([t.previews for t in runs]),
        "x0_previews": np.stack([t.x0_previews for t in runs]),
        "images": np.stack(images),
        "paths": np.stack([basis.project(t.latents) for t in runs]),
        "spread": spread,
        "sigmas": runs[0].sigmas.astype(np.float32),
    }
    return info, arrays


# ---- step_comparison ----------------------------------------------------------------------------


def step_comparison_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {"runs": [_request(params, params["prompt"], steps=int(k)) for k in params["step_counts"]]}


def step_comparison_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    runs = trajectories["runs"]
    info = {"prompt": params["prompt"], "seed": int(params["seed"]), "step_counts": [t.steps for t in runs]}
    arrays: Arrays = {"images": np.stack([t.image for t in runs])}
    for i, t in enumerate(runs):
        arrays[f"previews_{i}"] = t.previews
        arrays[f"x0_previews_{i}"] = t.x0_previews
        arrays[f"sigmas_{i}"] = t.sigmas.astype(np.float32)
    return info, arrays


# ---- prompt_detail ------------------------------------------------------------------------------


def prompt_detail_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {"grid": [_request(params, p, seed=int(s)) for p in params["prompts"] for s in params["seeds"]]}


def prompt_detail_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    runs = trajectories["grid"]
    p, s = len(params["prompts"]), len(params["seeds"])
    images = np.stack([t.image for t in runs]).reshape(p, s, *runs[0].image.shape)
    previews = np.stack([t.previews for t in runs]).reshape(p, s, *runs[0].previews.shape)
    variety = np.array([_mean_pairwise(list(images[i])) for i in range(p)], np.float32)
    info = {
        "prompts": list(params["prompts"]),
        "seeds": [int(x) for x in params["seeds"]],
        "variety": [float(v) for v in variety],
    }
    return info, {"images": images, "previews": previews, "variety": variety}


# ---- prompt_length ------------------------------------------------------------------------------


def _prefixes(prompt: str) -> list[str]:
    words = prompt.split()
    return [" ".join(words[: i + 1]) for i in range(len(words))]


def prompt_length_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {"prefixes": [_request(params, p) for p in _prefixes(params["prompt"])]}


def prompt_length_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    runs = trajectories["prefixes"]
    images = np.stack([t.image for t in runs])
    change = np.array([0.0] + [_rms(images[i - 1], images[i]) for i in range(1, len(runs))], np.float32)
    info = {"prompt": params["prompt"], "words": params["prompt"].split(), "prefixes": _prefixes(params["prompt"])}
    return info, {"images": images, "previews": np.stack([t.previews for t in runs]), "change": change}


# ---- interpolation ------------------------------------------------------------------------------


def _interpolation_ts(params: Params) -> list[float]:
    points = int(params.get("points", 7))
    return [i / (points - 1) for i in range(points)]


def interpolation_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {
        "path": [
            _request(
                params,
                None,
                embedding=EmbeddingRecipe(from_prompt=params["from_prompt"], to_prompt=params["to_prompt"], t=t),
            )
            for t in _interpolation_ts(params)
        ]
    }


def interpolation_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    runs = trajectories["path"]
    ts = _interpolation_ts(params)
    images = np.stack([t.image for t in runs])
    change = np.array([0.0] + [_rms(images[i - 1], images[i]) for i in range(1, len(runs))], np.float32)
    info = {"from_prompt": params["from_prompt"], "to_prompt": params["to_prompt"], "ts": ts, "steps": runs[0].steps}
    arrays = {
        "images": images,
        "previews": np.stack([t.previews for t in runs]),
        "x0_previews": np.stack([t.x0_previews for t in runs]),
        "ts": np.array(ts, np.float32),
        "change": change,
    }
    return info, arrays


# ---- guidance_comparison ------------------------------------------------------------------------


def guidance_comparison_requests(params: Params) -> dict[str, list[GenerationRequest]]:
    return {"scales": [_request(params, params["prompt"], guidance=float(g)) for g in params["guidance_scales"]]}


def guidance_comparison_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    runs = trajectories["scales"]
    images = np.stack([t.image for t in runs])
    saturation = np.array([_saturation(im) for im in images], np.float32)
    info = {
        "prompt": params["prompt"],
        "seed": int(params["seed"]),
        "guidance_scales": [float(g) for g in params["guidance_scales"]],
        "saturation": [float(s) for s in saturation],
    }
    return info, {"images": images, "previews": np.stack([t.previews for t in runs]), "saturation": saturation}


# ---- summary ------------------------------------------------------------------------------------


def summary_analyse(params: Params, trajectories: dict[str, list[Trajectory]], context: AnalysisContext):
    t = _only(trajectories)
    info = {
        "prompt": params["prompt"],
        "seed": int(params["seed"]),
        "steps": t.steps,
        "guidance": float(params["guidance"]),
        "controls": [
            {"name": "seed", "value": int(params["seed"])},
            {"name": "prompt", "value": params["prompt"]},
            {"name": "steps", "value": t.steps},
            {"name": "guidance", "value": float(params["guidance"])},
        ],
    }
    arrays = {
        "previews": t.previews,
        "x0_previews": t.x0_previews,
        "image": t.image,
        "sigmas": t.sigmas.astype(np.float32),
    }
    return info, arrays


# ---- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """The engine-side functions of one chapter kind (see module docstring)."""

    name: str
    requests: Callable[[Params], dict[str, list[GenerationRequest]]]
    analyse: Callable[[Params, dict[str, list[Trajectory]], AnalysisContext], tuple[Info, Arrays]]
    embeddings: Callable[[Params], list[str]] | None = None


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("noise_sampling", noise_sampling_requests, noise_sampling_analyse),
        Kind("denoising", single_prompt_requests, denoising_analyse),
        Kind("latent_space", single_prompt_requests, latent_space_analyse),
        Kind("embedding_map", embedding_map_requests, embedding_map_analyse, _embedding_prompts),
        Kind("seed_comparison", seed_comparison_requests, seed_comparison_analyse),
        Kind("step_comparison", step_comparison_requests, step_comparison_analyse),
        Kind("prompt_detail", prompt_detail_requests, prompt_detail_analyse),
        Kind("prompt_length", prompt_length_requests, prompt_length_analyse),
        Kind("interpolation", interpolation_requests, interpolation_analyse),
        Kind("guidance_comparison", guidance_comparison_requests, guidance_comparison_analyse),
        Kind("summary", single_prompt_requests, summary_analyse),
    )
}
