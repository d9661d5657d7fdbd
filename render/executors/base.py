"""What an executor does: it maps tasks, and batches onto stateful workers, and knows nothing of stages.

A stage keeps its work beside it (render/stages/): plain task functions that take and return bytes
(a chapter's data, a clip, slide files), and for generation a callable class that loads the model
once in `__init__` and samples a batch in `__call__` (the shape of Ray's `map_batches` examples).
It hands them to an executor, which decides where they run and yields the results as they finish;
the stage writes every result into its cache under the key it computed itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol


class Executor(Protocol):
    """Runs tasks and batches on this machine (`LocalExecutor`) or a cluster (`RayExecutor`)."""

    name: str

    def accelerator(self) -> str | None:
        """The accelerator that work sent here gets for `device: auto`: "cuda", "mps", or None (the CPU)."""

    def map(
        self, task: Callable[..., Any], inputs: Iterable[Any], *, jobs: int = 1, scratch: Path | None = None
    ) -> Iterator[tuple[int, Any]]:
        """Run `task(input)` for each of `inputs`, started in their order, and yield (index, result) as each
        finishes. `jobs`: how many run at once on this machine (a cluster runs as many as it has room for).
        Tasks that run here are called with `scratch=`, a folder of this machine for their temporary files
        (a killed run's leftovers are found there); elsewhere they use their own temporary folder. Closing
        the iterator early (Ctrl-C, a failed task) stops the tasks still running."""

    def map_batches(
        self,
        worker: type,
        batches: Sequence[Any],
        *,
        args: tuple = (),
        gpu: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[int, Any]]:
        """Send each batch to the `__call__` of a `worker(*args)` and yield (index, result) as each is done.
        Here: one worker, made once in this process, called as `worker(batch, on_progress)` (it reports its
        progress as it goes). On a cluster: one actor per GPU (`gpu`) or per CPU, at most one per batch,
        called as `worker(batch, None)`. Closing the iterator early stops the workers."""

    def describe_map(self, jobs: int, tasks: int) -> str:
        """How `map` would run `tasks` tasks, for a progress line ("2 at a time", "one Ray task each")."""

    def describe_batches(self, device: str, gpu: bool, batches: int) -> str:
        """Where `map_batches` would run, for a progress line ("cpu", "a Ray cluster (...)")."""

    def close(self) -> None: ...
