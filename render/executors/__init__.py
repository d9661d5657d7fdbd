"""Where a run's heavy work happens: on this machine (`local`, the default) or on a Ray cluster (`ray`).

The stages plan, key and cache exactly the same way under both; an executor only decides where
three kinds of work run, and this process writes every result into its cache under the key it
computed itself:

- generation: `sampler(session)` gives the generate stage a `Sampler` (it yields each batch's
  trajectories; the stage saves them);
- chapter clips: `render_clips(session, todo, quality, fps, jobs)` yields each chapter as its
  clip is stored in the cache;
- slide export: `export_chapters(chapters, slides, settings, tmp)` yields each chapter's slide
  files once they are in `slides`.

`LocalExecutor` is the code path noise2image always had (the model in this process, Manim and
ffmpeg as its subprocesses). `RayExecutor` lives in render/executors/ray_cluster.py and imports
Ray only when it is used, so noise2image runs without Ray installed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

EXECUTORS = ("local", "ray")
RAY_ADDRESS_ENV = "RAY_ADDRESS"
RAY_MISSING = (
    "--executor ray needs Ray, which is not installed in this environment; "
    "install the extra: pip install 'noise2image[ray]'"
)


class Sampler(Protocol):
    """Runs batches of planned requests somewhere and hands their trajectories back."""

    def start(self) -> str:
        """Get ready; returns the device the batches run on ("cpu", "cuda", "mps")."""

    @property
    def where(self) -> str:
        """Where batches run, for the progress line ("cpu", "a Ray cluster: ...")."""

    def run(self, pending: list, size: int, bar: Any, say) -> Iterator[tuple[list, list]]:
        """Yield (batch, trajectories) for every batch of `pending`, counting steps on `bar`."""


class Executor(Protocol):
    name: str

    def sampler(self, session) -> Sampler: ...

    def render_clips(self, session, todo, quality: str, fps: int, jobs: int) -> Iterator[tuple[str, float, float]]:
        """Render the (chapter, timing, clip path) jobs of `todo` into the cache; yield (chapter id, seconds
        it took, seconds of video) as each clip is stored. Closing the iterator early stops the renders."""

    def export_chapters(self, chapters: list, slides: Path, settings, tmp: Path) -> Iterator[tuple[int, list[Path]]]:
        """Write each prepared chapter's slide files into `slides`; yield (index in `chapters`, paths) as
        files land (a chapter's files may come in several groups)."""

    def close(self) -> None: ...


class LocalExecutor:
    """Everything on this machine: batches in this process, clips and encodes as subprocesses of it."""

    name = "local"

    def sampler(self, session) -> Sampler:
        from render.stages.generate import LocalSampler

        return LocalSampler(session.load_model)

    def render_clips(self, session, todo, quality, fps, jobs):
        from render.stages.clips import render_here

        return render_here(session, todo, quality, fps, jobs)

    def export_chapters(self, chapters, slides, settings, tmp):
        from render.stages.export import export_here

        return export_here(chapters, slides, settings, tmp)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ray_installed() -> bool:
    """Whether Ray can be imported here (checked before any work, so a missing extra fails at once)."""
    return importlib.util.find_spec("ray") is not None


def open_executor(name: str, *, address: str | None = None, cpus: int | None = None):
    """The executor called `name`. For "ray": join the cluster at `address` (else $RAY_ADDRESS), or start
    a local Ray instance with `cpus` CPUs (None: all of them) when there is none; connected on first use."""
    if name == "local":
        return LocalExecutor()
    if name != "ray":
        raise ValueError(f"unknown executor {name!r}; expected one of {', '.join(EXECUTORS)}")
    from render.executors.ray_cluster import RayExecutor

    return RayExecutor(address=address, cpus=cpus)
