"""Trajectory bundles: one recorded generation, stored as a folder with a JSON manifest and an .npz.

A bundle is written into a temporary folder and renamed into place, so a folder that exists under
its final name is complete. Reading checks the manifest, the array file's sha256 and the shapes;
anything off raises `CorruptBundle` and the caller regenerates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from render.engine.requests import Shown
from render.keys import TRAJECTORY_FORMAT
from render.media.files import atomic_folder, fsync_write, sha256_file

MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"

ARRAY_FIELDS = (
    "sigmas",
    "timesteps",
    "latents",
    "x0",
    "previews",
    "x0_previews",
    "image",
    "prompt_embeds",
    "prompt_mask",
    "pooled",
)


class CorruptBundle(Exception):
    """A bundle on disk is missing, truncated or inconsistent."""


@dataclass
class Trajectory:
    """Every step of one generation. Shapes: see docs/contracts.md."""

    request: dict[str, Any]
    model: dict[str, Any]
    sigmas: np.ndarray
    timesteps: np.ndarray
    latents: np.ndarray
    x0: np.ndarray
    previews: np.ndarray
    x0_previews: np.ndarray
    image: np.ndarray
    prompt_embeds: np.ndarray
    prompt_mask: np.ndarray
    pooled: np.ndarray
    versions: dict[str, str] = field(default_factory=dict)
    key: str = ""

    @property
    def steps(self) -> int:
        return int(self.timesteps.shape[0])

    @property
    def shown(self) -> Shown:
        """Which images were decoded: `previews` is [steps+1] (every state) or [1] (the final image only);
        `x0_previews` is [steps] or empty."""
        return Shown(
            steps=self.previews.shape[0] == self.steps + 1, predictions=self.x0_previews.shape[0] == self.steps
        )

    def check(self) -> None:
        """Raise CorruptBundle if the arrays do not fit together."""
        n = self.steps
        problems = []
        if self.sigmas.shape != (n + 1,):
            problems.append(f"sigmas {self.sigmas.shape} for {n} steps")
        if self.latents.ndim != 4 or self.latents.shape[0] != n + 1:
            problems.append(f"latents {self.latents.shape}")
        if self.x0.shape != (n,) + self.latents.shape[1:]:
            problems.append(f"x0 {self.x0.shape}")
        if self.previews.ndim != 4 or self.previews.shape[0] not in (1, n + 1) or self.previews.shape[-1] != 3:
            problems.append(f"previews {self.previews.shape}")
        if self.x0_previews.shape[0] not in (0, n) or self.x0_previews.shape[1:] != self.previews.shape[1:]:
            problems.append(f"x0_previews {self.x0_previews.shape}")
        if self.image.shape != self.previews.shape[1:]:
            problems.append(f"image {self.image.shape}")
        if self.prompt_mask.shape != self.prompt_embeds.shape[:1]:
            problems.append(f"prompt_mask {self.prompt_mask.shape}")
        if problems:
            raise CorruptBundle("inconsistent arrays: " + ", ".join(problems))

    def save(self, folder: Path) -> Path:
        """Write atomically to `folder`; returns `folder`. A bundle already there is kept if it holds
        every image this one does (a concurrent writer's), else replaced (this one shows more)."""
        self.check()
        arrays = {name: getattr(self, name) for name in ARRAY_FIELDS}
        stored = stored_shown(Path(folder))
        with atomic_folder(Path(folder), replace=stored is not None and not stored.covers(self.shown)) as tmp:
            fsync_write(tmp / ARRAYS, lambda f: np.savez(f, **arrays))
            manifest = {
                "format": TRAJECTORY_FORMAT,
                "key": self.key,
                "request": self.request,
                "model": self.model,
                "versions": self.versions,
                "shown": self.shown.model_dump(),
                "steps": self.steps,
                "arrays": {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in arrays.items()},
                "arrays_sha256": sha256_file(tmp / ARRAYS),
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        return Path(folder)

    @classmethod
    def load(cls, folder: Path, *, verify: bool = True) -> Trajectory:
        """Read a bundle; raise CorruptBundle if anything is missing or does not match its manifest."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError) as e:
            raise CorruptBundle(f"{folder}: unreadable manifest ({e})") from e
        if manifest.get("format") != TRAJECTORY_FORMAT:
            raise CorruptBundle(f"{folder}: bundle format {manifest.get('format')}, expected {TRAJECTORY_FORMAT}")
        path = folder / ARRAYS
        if verify:
            try:
                digest = sha256_file(path)
            except OSError as e:
                raise CorruptBundle(f"{folder}: {e}") from e
            if digest != manifest.get("arrays_sha256"):
                raise CorruptBundle(f"{folder}: {ARRAYS} does not match its manifest (truncated or changed)")
        try:
            with np.load(path) as data:
                arrays = {name: data[name] for name in ARRAY_FIELDS}
        except Exception as e:  # zipfile/numpy raise many kinds for damaged files
            raise CorruptBundle(f"{folder}: unreadable arrays ({e})") from e
        trajectory = cls(
            request=manifest["request"],
            model=manifest["model"],
            versions=manifest.get("versions", {}),
            key=manifest.get("key", ""),
            **arrays,
        )
        trajectory.check()
        return trajectory


def stored_shown(folder: Path) -> Shown | None:
    """Which images the bundle stored in `folder` holds (from its manifest); None if there is no
    readable bundle of this format."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
        if manifest.get("format") != TRAJECTORY_FORMAT:
            return None
        return Shown.model_validate(manifest["shown"])
    except (OSError, ValueError, KeyError):
        return None
