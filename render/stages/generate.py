"""The generate stage: record every planned trajectory that the cache does not hold yet, in batches."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tqdm import tqdm

from render.engine.cache import Cache
from render.hold import hold
from render.stages.plan import Plan, PlannedRequest
from render.words import plural

if TYPE_CHECKING:
    from render.executors import Sampler

DEFAULT_BATCH = {"cpu": 16, "cuda": 32, "mps": 8}


def batches(pending: list[PlannedRequest], size: int) -> list[list[PlannedRequest]]:
    """Group requests that share steps and size, then cut each group into batches of `size`."""
    groups: dict[tuple[int, int, int], list[PlannedRequest]] = {}
    for p in pending:
        groups.setdefault(p.request.batch_shape, []).append(p)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]


class LocalSampler:
    """Batches run in this process on the storyboard's device; `load()` returns the LoadedModel on demand."""

    def __init__(self, load: Callable[[], object]):
        self._load = load
        self.model = None

    def start(self) -> str:
        self.model = self._load()
        return self.model.device

    @property
    def where(self) -> str:
        return self.model.device

    def run(self, pending: list[PlannedRequest], size: int, bar: tqdm, say: Callable[[str], None]):
        return sample_batches(self.model, pending, size, bar, say)


def _trajectories(n: int) -> str:
    return plural(n, "trajectory", "trajectories")


def run_generate(
    plan: Plan,
    cache: Cache,
    sampler: Sampler,
    *,
    batch_size: int | None = None,
    say: Callable[[str], None] = print,
    progress: bool = True,
) -> int:
    """Generate the missing bundles of `plan` into `cache`, in batches run by `sampler` (a `LocalSampler`,
    or one of another executor: render/executors). Returns how many trajectories were made.

    Each bundle is saved as soon as its batch is done, so an interrupted run keeps what it finished
    (and says how much) and the next run makes only the rest. Stored bundles are checksummed first:
    a damaged one is reported and made again.
    """
    start = time.perf_counter()
    with cache.lock("generate", say=say):
        cache.remove_partial_writes(say=say)
        pending = plan.missing(lambda folder, shown: cache.verify_trajectory(folder, shown, warn=say))
        if not pending:
            planned = _trajectories(len(plan.requests))
            say(f"generate: {planned} planned, every one in the cache ({cache.root}); no model work")
            return 0
        device = sampler.start()
        size = batch_size or DEFAULT_BATCH.get(device, 8)
        total_steps = sum(p.request.steps for p in pending)
        say(
            f"generate: {len(pending)} of {_trajectories(len(plan.requests))} to make "
            f"on {sampler.where} ({plural(total_steps, 'step')}, batches of up to {size}) into {cache.root}"
        )
        done = 0
        results = None
        try:
            with tqdm(total=total_steps, unit="step", disable=not progress, dynamic_ncols=True) as bar:
                bar.set_postfix_str(f"requests 0/{len(pending)}")
                results = sampler.run(pending, size, bar, say)
                for batch, trajectories in results:
                    for p, trajectory in zip(batch, trajectories, strict=True):
                        trajectory.save(cache.trajectory_dir(p.folder))
                        done += 1
                        hold("bundle-stored")  # tests stop the run here (render/hold.py)
                    bar.set_postfix_str(f"requests {done}/{len(pending)}")
        except KeyboardInterrupt:
            say(
                f"generate: interrupted; {done} of {_trajectories(len(pending))} finished and kept in {cache.root}, "
                f"{len(pending) - done} still to make"
            )
            raise
        finally:
            if results is not None:
                results.close()  # stops the sampler's work now (a cluster's actors), not when it is collected
    seconds = time.perf_counter() - start
    say(f"generate: made {_trajectories(done)} in {seconds:.1f} s")
    return done


def sample_batches(model, pending: list[PlannedRequest], size: int, bar: tqdm, say: Callable[[str], None]):
    """Yield (batch, trajectories) for the pending requests, in batches of up to `size`.

    Only CUDA out-of-memory is retried: the batch is split in halves and its steps are counted again.
    """
    queue = batches(pending, size)
    while queue:
        batch = queue.pop(0)
        steps_before = bar.n
        try:
            trajectories = sample_batch(model, batch, bar.update)
        except Exception as e:
            if not _is_oom(e) or len(batch) == 1:
                raise
            half = len(batch) // 2
            say(f"generate: out of GPU memory at batch {len(batch)}; retrying in batches of {half}")
            _free_cuda()
            queue[:0] = [batch[:half], batch[half:]]
            bar.n = steps_before
            bar.refresh()
            continue
        yield batch, trajectories


def sample_batch(model, batch: list[PlannedRequest], on_step):
    """The trajectories of one batch: PRX models in one batched loop, other pipelines one by one."""
    from render.engine.sampling import sample_prx, sample_with_callback

    if model.is_prx:
        return sample_prx(
            model.pipe,
            [p.request for p in batch],
            model_identity=model.identity,
            keys=[p.key for p in batch],
            on_step=on_step,
            shown=[p.shown for p in batch],
        )
    return [
        sample_with_callback(
            model.pipe,
            p.request,
            model_identity=model.identity,
            key=p.key,
            on_step=on_step,
            shown=p.shown,
        )
        for p in batch
    ]


def _is_oom(error: Exception) -> bool:
    import torch

    return isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower()


def _free_cuda() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
