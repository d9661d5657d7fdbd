"""The Ray executor (`--executor ray`): batches on Ray actors, tasks as Ray tasks.

It follows Ray's batch-inference pattern: `map_batches` starts one actor per GPU (`num_gpus=1`; one
per CPU when the work needs no GPU) from the stage's callable class, which loads the model once in
its `__init__`, and sends each actor batch after batch. `map` runs each input as one Ray task
(`num_cpus=1`) of the stage's task function, named after it (`ray::render_clip_task`).

No shared filesystem is needed: a task's inputs (a chapter data bundle and its timing, a clip to
encode) travel with it as bytes, and what it makes (trajectories, an MP4, slide files) comes back to
this process, which writes it into its own cache under the key it computed. Workers need the same
noise2image, Manim and model files installed; the stages check what each result reports (the hash of
its scene code, of its model's weights) and stop rather than cache results under keys that describe
other code.

Faults: a task whose worker dies is run again (`max_retries`); an actor whose process dies is
restarted and its batch sent again (`max_restarts`, `max_task_retries`); a task's Manim process dies
with the worker that started it (render/executors/processes.py). On Ctrl-C the cluster's work is
cancelled (a cancelled task stops its Manim process) and the actors are killed; the cache stays
consistent because only finished results are written, atomically.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from render.errors import UserFacingError
from render.executors.processes import ProcessGroup
from render.progress import say
from render.words import plural

RAY_ADDRESS_ENV = "RAY_ADDRESS"
TASK_RETRIES = 3  # a task is run again when its worker process dies (not when its code raises)
ACTOR_RESTARTS = 2  # an actor whose process dies is restarted (reloading its model) and its batch retried


class RayExecutor:
    """Join the Ray cluster at `address` (else $RAY_ADDRESS), or start a local instance with `cpus` CPUs.

    Ray is imported and connected on first use, so a run that finds everything cached starts nothing.
    """

    name = "ray"

    def __init__(self, address: str | None = None, cpus: int | None = None):
        self.address = address or os.environ.get(RAY_ADDRESS_ENV) or None
        self.cpus = cpus
        self._ray = None

    def connect(self):
        """The `ray` module, connected: to the cluster, or to a local instance started now."""
        if self._ray is not None:
            return self._ray
        import ray

        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        try:
            if self.address:
                ray.init(address=self.address, **quiet)
            else:  # "local": a new instance even where an earlier `ray start` left one running
                ray.init(address="local", num_cpus=self.cpus, include_dashboard=False, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            hint = ""
            if self.address and not os.environ.get("RAY_AUTH_MODE"):  # Ray only assumes tokens for local clusters
                hint = (
                    "; if the cluster uses token authentication (Ray's default), set RAY_AUTH_MODE=token and "
                    "give this machine its token (~/.ray/auth_token, or RAY_AUTH_TOKEN)"
                )
            raise UserFacingError(f"could not start or join {where}: {e}{hint}") from e
        self._ray = ray
        resources = ray.cluster_resources()
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        what = f"joined the Ray cluster at {self.address}" if self.address else "started a local Ray instance"
        cpus, gpus = round(resources.get("CPU", 0)), round(resources.get("GPU", 0))
        say(f"ray: {what}: {plural(nodes, 'node')}, {plural(cpus, 'CPU')}, {plural(gpus, 'GPU')}")
        return ray

    def close(self) -> None:
        """Disconnect; a local instance started by `connect` stops with it."""
        if self._ray is not None:
            self._ray.shutdown()
            self._ray = None

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _slots(self, gpu: bool) -> int:
        """How many workers the cluster has room for: its GPUs, or its CPUs."""
        resources = self.connect().cluster_resources()
        return int(resources.get("GPU", 0)) if gpu else max(1, int(resources.get("CPU", 0)))

    def accelerator(self) -> str | None:
        """ "cuda" when the cluster has a GPU (the accelerator Ray schedules), else None. Connects."""
        return "cuda" if self._slots(gpu=True) else None

    def describe_map(self, jobs: int, tasks: int) -> str:
        return "one Ray task each"

    def describe_batches(self, device: str, gpu: bool, batches: int) -> str:
        unit = "GPU" if gpu else "CPU"
        return f"a Ray cluster (up to {plural(self._slots(gpu), 'actor')}, one per {unit}, on {device})"

    # ---- tasks ----------------------------------------------------------------------------------------

    def map(
        self, task: Callable[..., Any], inputs: Iterable[Any], *, jobs: int = 1, scratch: Path | None = None
    ) -> Iterator[tuple[int, Any]]:
        ray = self.connect()
        remote = ray.remote(_on_worker).options(name=task.__name__, num_cpus=1, max_retries=TASK_RETRIES)
        refs = {remote.remote(task, item): k for k, item in enumerate(inputs)}
        for ref, result in _as_completed(ray, list(refs)):
            yield refs[ref], result

    # ---- batches on actors ----------------------------------------------------------------------------

    def map_batches(
        self,
        worker: type,
        batches: Sequence[Any],
        *,
        args: tuple = (),
        gpu: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[int, Any]]:
        ray = self.connect()
        slots = self._slots(gpu)
        if gpu and not slots:  # model.device: cuda
            raise UserFacingError(
                f"{worker.__name__} needs a GPU per worker, but the Ray cluster has none: add a GPU node"
            )
        resources = {"num_gpus": 1, "num_cpus": 1} if gpu else {"num_cpus": 1}
        actor = ray.remote(worker).options(**resources, max_restarts=ACTOR_RESTARTS, max_task_retries=ACTOR_RESTARTS)
        actors = [actor.remote(*args) for _ in range(min(slots, len(batches)))]
        waiting = list(enumerate(batches))
        running: dict[Any, tuple[int, Any]] = {}  # ref -> (batch index, the actor sampling it)
        try:
            for a in actors:  # one batch each to start with, then the next to whichever is done first
                if waiting:
                    k, batch = waiting.pop(0)
                    running[a.__call__.remote(batch, None)] = (k, a)
            while running:
                [ref], _ = ray.wait(list(running), num_returns=1)
                k, a = running.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayActorError as e:  # its __init__ failed: the model is not there, say
                    raise UserFacingError(f"a Ray worker could not start {worker.__name__}: {e}") from e
                if waiting:
                    k_next, batch = waiting.pop(0)
                    running[a.__call__.remote(batch, None)] = (k_next, a)
                yield k, result
        finally:  # done, failed or interrupted: free the GPUs (and stop what is still running)
            for a in actors:
                ray.kill(a, no_restart=True)


def _on_worker(task: Callable[..., Any], item: Any) -> Any:
    """A task on a Ray worker: its processes die with the worker (which Ray may kill, or lose)."""
    with ProcessGroup(die_with_parent=True).active():
        return task(item)


def _as_completed(ray, refs: list) -> Iterator[tuple[Any, Any]]:
    """Yield (ref, result) as each task finishes. On a failed task, Ctrl-C or an early close, the tasks
    still queued or running are cancelled (a running one gets KeyboardInterrupt and stops its subprocess)."""
    waiting = list(refs)
    try:
        while waiting:
            ready, waiting = ray.wait(waiting, num_returns=1)
            yield ready[0], ray.get(ready[0])
    finally:
        for ref in waiting:
            ray.cancel(ref)
