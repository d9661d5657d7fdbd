"""The cache folder: trajectory bundles and other stage outputs, keyed by a hash of their inputs.

Location, in order of precedence: the `--cache` flag, the NOISE2IMAGE_CACHE environment variable,
then `build/cache` beside the storyboard. Writers put files under temporary names and rename them
into place; readers verify what they read. Stages that write take a lock (`Cache.lock`) so two runs
on one cache wait for each other instead of doing the same work twice.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from render.trajectory import MANIFEST, CorruptBundle, Trajectory

CACHE_ENV = "NOISE2IMAGE_CACHE"


def default_cache_dir(storyboard_path: Path, flag: str | None = None) -> Path:
    if flag:
        return Path(flag).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(storyboard_path).resolve().parent / "build" / "cache"


class Cache:
    """A cache root with one sub-folder per stage."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def stage_dir(self, stage: str) -> Path:
        return self.root / stage

    @property
    def trajectories(self) -> Path:
        return self.stage_dir("trajectories")

    def trajectory_dir(self, folder_name: str) -> Path:
        return self.trajectories / folder_name

    def has_trajectory(self, folder_name: str) -> bool:
        """True if a complete bundle is stored under that name (cheap: the manifest exists)."""
        return (self.trajectory_dir(folder_name) / MANIFEST).is_file()

    def load_trajectory(self, folder_name: str, *, warn: Callable[[str], None] = print) -> Trajectory | None:
        """The stored bundle, or None if absent. A corrupt bundle is reported, removed, and None returned."""
        folder = self.trajectory_dir(folder_name)
        if not folder.exists():
            return None
        try:
            return Trajectory.load(folder)
        except CorruptBundle as e:
            warn(f"noise2image: discarding a damaged cache entry, it will be regenerated: {e}")
            shutil.rmtree(folder, ignore_errors=True)
            return None

    @contextmanager
    def lock(self, name: str, *, say: Callable[[str], None] = print) -> Iterator[None]:
        """An exclusive lock across processes (flock on `locks/NAME.lock`); waits, saying so."""
        lock_dir = self.root / "locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        with open(lock_dir / f"{name}.lock", "w") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                say(f"noise2image: another run is using the cache ({name}); waiting for it to finish")
                fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
