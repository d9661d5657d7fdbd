"""A latent PCA basis shared by the chapters, so that latent colours and paths are comparable across them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from render.engine.trajectory import Trajectory


def fix_signs(components: np.ndarray) -> np.ndarray:
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
    from sklearn.decomposition import PCA  # scikit-learn takes seconds to import: only when a basis is fitted

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
    comps[:k] = fix_signs(pca.components_)
    variance = np.zeros(3, np.float32)
    variance[:k] = pca.explained_variance_ratio_
    scores = (pixels - pca.mean_) @ comps.T
    lo, hi = np.percentile(scores, 1, axis=0), np.percentile(scores, 99, axis=0)

    flat = np.concatenate([t.latents.astype(np.float32).reshape(t.latents.shape[0], -1) for t in same])
    kp = min(2, flat.shape[0], flat.shape[1])
    path_pca = PCA(n_components=kp, svd_solver="full").fit(flat)
    path_comps = np.zeros((2, flat.shape[1]), np.float32)
    path_comps[:kp] = fix_signs(path_pca.components_)
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
