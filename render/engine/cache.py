"""The cache folder: trajectory bundles and other stage outputs, keyed by a hash of their inputs.

Location, in order of precedence: the `--cache` flag, the NOISE2IMAGE_CACHE environment variable,
then `build/cache` beside the storyboard. Writers put files under temporary names and rename them
into place; readers verify what they read. Stages that write take a lock (`Cache.lock`) so two runs
on one cache wait for each other instead of doing the same work twice.

A bundle folder under its final name is complete when written; a killed writer can only leave a
hidden temporary folder (`.{name}.XXXX`) behind, which the next writer holding the lock removes
(render/stages/keyed.py).
A bundle damaged later (a truncated copy, a full disk) fails its checksum, is reported, and is
moved aside and removed so that it is generated again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from render.engine.requests import FINAL_ONLY, Shown
from render.engine.trajectory import ARRAYS, MANIFEST, CorruptBundle, Trajectory, stored_shown
from render.keys import CACHE_ENV, TRAJECTORY_FORMAT, default_cache_dir, trajectory_folder
from render.media.files import sha256_file

__all__ = ["CACHE_ENV", "Cache", "default_cache_dir"]  # where the cache is: render/keys.py


class Cache:
    """A cache root with one sub-folder per stage."""

    def __init__(self, root: Path):
        self.root = Path(root).absolute()  # preview workers and Manim run in other folders

    def stage_dir(self, stage: str) -> Path:
        return self.root / stage

    @property
    def trajectories(self) -> Path:
        return self.stage_dir("trajectories")

    def trajectory_dir(self, folder_name: str) -> Path:
        return trajectory_folder(self.root, folder_name)

    def has_trajectory(self, folder_name: str, shown: Shown = FINAL_ONLY) -> bool:
        """True if a complete bundle holding the `shown` images is stored under that name (cheap:
        its manifest is read)."""
        stored = stored_shown(self.trajectory_dir(folder_name))
        return stored is not None and stored.covers(shown)

    def verify_trajectory(
        self, folder_name: str, shown: Shown = FINAL_ONLY, *, warn: Callable[[str], None] = print
    ) -> bool:
        """True if a bundle holding the `shown` images is stored and its arrays match the manifest's checksum.

        Cheaper than loading (nothing is decoded); a damaged bundle is reported and discarded (one that
        lacks images is kept: its request is made again with them and replaces it).
        """
        folder = self.trajectory_dir(folder_name)
        if not folder.exists():
            return False
        stored = stored_shown(folder)
        if stored is not None and not stored.covers(shown):
            return False
        try:
            manifest = json.loads((folder / MANIFEST).read_text())
            if manifest.get("format") != TRAJECTORY_FORMAT:
                raise CorruptBundle(f"{folder}: bundle format {manifest.get('format')}, expected {TRAJECTORY_FORMAT}")
            if sha256_file(folder / ARRAYS) != manifest.get("arrays_sha256"):
                raise CorruptBundle(f"{folder}: {ARRAYS} does not match its manifest (truncated or changed)")
        except (OSError, ValueError, CorruptBundle) as e:
            self._discard(folder, e, warn)
            return False
        return True

    def load_trajectory(self, folder_name: str, *, warn: Callable[[str], None] = print) -> Trajectory | None:
        """The stored bundle, or None if absent. A corrupt bundle is reported, removed, and None returned."""
        folder = self.trajectory_dir(folder_name)
        if not folder.exists():
            return None
        try:
            return Trajectory.load(folder)
        except CorruptBundle as e:
            self._discard(folder, e, warn)
            return None

    @staticmethod
    def _discard(folder: Path, reason: Exception, warn: Callable[[str], None]) -> None:
        """Report a damaged bundle and take it out of the way (renamed first, so it never looks complete)."""
        warn(f"noise2image: discarding a damaged cache entry, it will be regenerated: {reason}")
        aside = folder.with_name(f".{folder.name}.damaged-{os.getpid()}")
        try:
            os.replace(folder, aside)
        except OSError:
            aside = folder
        shutil.rmtree(aside, ignore_errors=True)

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
