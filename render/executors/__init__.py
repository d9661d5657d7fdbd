"""Where a run's heavy work happens: on this machine (`local`, the default) or on a Ray cluster (`ray`).

The stages plan, key and cache exactly the same way under both. A stage's work lives beside the
stage (render/stages/): task functions that take and return bytes, and for generation a callable
class loading the model once. An executor only maps them (render/executors/base.py `Executor`):

- `map(task, inputs, jobs=...)`: one task per chapter clip or per chapter's slide files, results
  yielded as they finish;
- `map_batches(worker, batches, args=..., gpu=...)`: generation batches on stateful workers.

This process writes every result into its cache under the key it computed itself. No executor
imports a stage. `LocalExecutor` (render/executors/local.py) is the code path noise2image always had:
the model in this process, Manim and ffmpeg as its subprocesses. `RayExecutor` lives in
render/executors/ray_cluster.py and imports Ray only when it is used, so noise2image runs without
Ray installed.
"""

from __future__ import annotations

import importlib.util

from render.executors.base import Executor
from render.executors.local import LocalExecutor

EXECUTORS = ("local", "ray")
RAY_MISSING = (
    "--executor ray needs Ray, which is not installed in this environment; "
    "install the extra: pip install 'noise2image[ray]'"
)

__all__ = ["EXECUTORS", "RAY_MISSING", "Executor", "LocalExecutor", "open_executor", "ray_installed"]


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
