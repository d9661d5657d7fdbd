"""The local executor (the default): tasks in threads of this process, batches in this process.

A clip task's Manim and an export task's ffmpeg run as subprocesses of this process, `jobs` at a
time, started in the order the stage gives (the longest first); a task's inputs are taken only when
a thread is free for it, so no more than `jobs` chapters' bytes are in memory at once. The model is
loaded once, in this process, by the one batch worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from render.executors.processes import ProcessGroup


class LocalExecutor:
    """Everything on this machine: batches in this process, tasks in its threads (their tools as subprocesses)."""

    name = "local"

    def accelerator(self) -> str | None:
        from render.engine.models import local_accelerator

        return local_accelerator()

    def describe_map(self, jobs: int, tasks: int) -> str:
        return f"{min(jobs, tasks)} at a time"

    def describe_batches(self, device: str, gpu: bool, batches: int) -> str:
        return device

    def map(
        self, task: Callable[..., Any], inputs: Iterable[Any], *, jobs: int = 1, scratch: Path | None = None
    ) -> Iterator[tuple[int, Any]]:
        group = ProcessGroup()

        def run(item: Any) -> Any:
            with group.active():
                return task(item, scratch=scratch)

        waiting = enumerate(inputs)
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        running = {}
        try:
            for _ in range(max(1, jobs)):
                if (nxt := next(waiting, None)) is not None:
                    running[pool.submit(run, nxt[1])] = nxt[0]
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    k = running.pop(future)
                    result = future.result()
                    if (nxt := next(waiting, None)) is not None:  # the next task starts before this result is used
                        running[pool.submit(run, nxt[1])] = nxt[0]
                    yield k, result
        except BaseException:  # Ctrl-C, a failed task, or the caller closing early: stop the other tasks now
            pool.shutdown(wait=False, cancel_futures=True)
            group.stop()
            raise
        finally:
            pool.shutdown(wait=True)

    def map_batches(
        self,
        worker: type,
        batches: Sequence[Any],
        *,
        args: tuple = (),
        gpu: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[int, Any]]:
        instance = worker(*args)
        for k, batch in enumerate(batches):
            yield k, instance(batch, on_progress)

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
