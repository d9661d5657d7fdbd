"""The generate stage: record every planned trajectory that the cache does not hold yet, in batches.

The work it sends out is `SampleBatches`, a callable class in the shape of Ray's `map_batches`
examples: `__init__` loads the model once, `__call__` samples one batch. The executor decides where
the workers run (render/executors/): here, one in this process; on a Ray cluster, one actor per GPU
(or per CPU). This process saves each batch's bundles into the cache, under the keys of its plan.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from render.engine.cache import Cache
from render.errors import UserFacingError
from render.hold import hold
from render.progress import say
from render.stages.keyed import keyed
from render.stages.plan import Plan, PlannedRequest
from render.words import plural

if TYPE_CHECKING:
    from render.engine.models import LoadedModel, Runtime
    from render.engine.trajectory import Trajectory
    from render.executors import Executor

DEFAULT_BATCH = {"cpu": 16, "cuda": 32, "mps": 8}


def _trajectories(n: int) -> str:
    return plural(n, "trajectory", "trajectories")


def batches(pending: list[PlannedRequest], size: int) -> list[list[PlannedRequest]]:
    """Group requests that share steps and size, then cut each group into batches of `size`."""
    groups: dict[tuple[int, int, int], list[PlannedRequest]] = {}
    for p in pending:
        groups.setdefault(p.request.batch_shape, []).append(p)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]


# ---- the work sent out: a worker that samples batches -----------------------------------------------


@dataclass
class SampledBatch:
    """A batch's trajectories, in its order, and what made them: the model's identity, the device and dtype
    it was loaded on, the host."""

    trajectories: list[Trajectory]
    identity: dict[str, Any]
    runtime: Runtime
    node: str


class SampleBatches:
    """Samples batches of planned requests with one loaded model: made once per worker (the model loads in
    `__init__`, once per process), called once per batch."""

    def __init__(self, model_id: str, runtime: Runtime, weights: str):
        from render.engine.models import shared_model

        self.model: LoadedModel = shared_model(model_id, runtime, weights, say=say)

    def __call__(self, batch: list[PlannedRequest], on_progress: Callable[[int], None] | None = None) -> SampledBatch:
        """The trajectories of `batch`, in its order. Only CUDA out-of-memory is retried: the batch is split in
        halves (the steps already counted are taken back from `on_progress`)."""
        from render.engine.models import Runtime

        count = on_progress or (lambda n: None)
        made: dict[str, Trajectory] = {}
        queue = [batch]
        while queue:
            part = queue.pop(0)
            counted = 0

            def step(n: int) -> None:
                nonlocal counted
                counted += n
                count(n)

            try:
                trajectories = sample_batch(self.model, part, step)
            except Exception as e:
                if not _is_oom(e) or len(part) == 1:
                    raise
                half = len(part) // 2
                say(f"generate: out of GPU memory at batch {len(part)}; retrying in batches of {half}")
                _free_cuda()
                count(-counted)
                queue[:0] = [part[:half], part[half:]]
                continue
            made.update({p.key: t for p, t in zip(part, trajectories, strict=True)})
        loaded = Runtime(self.model.device, str(self.model.dtype).removeprefix("torch."))
        return SampledBatch([made[p.key] for p in batch], self.model.identity, loaded, socket.gethostname())


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


# ---- the stage --------------------------------------------------------------------------------------


def run_generate(
    plan: Plan,
    cache: Cache,
    executor: Executor,
    *,
    model_id: str,
    batch_size: int | None = None,
    progress: bool = True,
    notice: str | None = None,
) -> int:
    """Generate the missing bundles of `plan` into `cache`, in batches sampled where `executor` runs them
    (render/executors). Returns how many trajectories were made.

    Each bundle is saved as soon as its batch is done, so an interrupted run keeps what it finished
    (and says how much) and the next run makes only the rest. Stored bundles are checksummed first:
    a damaged one is reported and made again. `notice` (where the model runs) is said if there is work.
    """
    from render.engine.models import Runtime

    start = time.perf_counter()
    runtime = Runtime(**plan.runtime)
    gpu = runtime.device == "cuda"

    def make(pending: list[PlannedRequest]):
        if notice:  # where the model runs, said once there is model work
            say(notice)
        size = batch_size or DEFAULT_BATCH.get(runtime.device, 8)
        work = batches(pending, size)
        total_steps = sum(p.request.steps for p in pending)
        say(
            f"generate: {len(pending)} of {_trajectories(len(plan.requests))} to make "
            f"on {executor.describe_batches(runtime.device, gpu, len(work))} "
            f"({plural(total_steps, 'step')}, batches of up to {size}) into {cache.root}"
        )
        with tqdm(total=total_steps, unit="step", disable=not progress, dynamic_ncols=True) as bar:
            bar.set_postfix_str(f"requests 0/{len(pending)}")
            args = (model_id, runtime, plan.model["weights"])
            results = executor.map_batches(SampleBatches, work, args=args, gpu=gpu, on_progress=bar.update)
            done = finished_steps = 0
            try:
                for k, sampled in results:
                    _check_worker(sampled, plan, runtime, model_id)
                    for p, trajectory in zip(work[k], sampled.trajectories, strict=True):
                        yield p, trajectory
                        done += 1
                        hold("bundle-stored")  # the bundle is stored: tests stop the run here (render/hold.py)
                    finished_steps += sum(p.request.steps for p in work[k])
                    bar.update(max(0, finished_steps - bar.n))  # workers elsewhere report no steps as they go
                    bar.set_postfix_str(f"requests {done}/{len(pending)}")
            finally:
                results.close()  # stops the workers now (a cluster's actors), not when the iterator is collected

    made = keyed(
        list(plan.requests.values()),
        lambda p: cache.trajectory_dir(p.folder),
        make,
        store=lambda folder, trajectory: trajectory.save(folder),
        present=lambda p: cache.verify_trajectory(p.folder, p.shown, warn=say),
        lock=(cache, "generate"),
        leftovers=(cache.trajectories, "write"),
        interrupted=lambda done, missing: (
            f"generate: interrupted; {done} of {_trajectories(missing)} finished and kept in {cache.root}, "
            f"{missing - done} still to make"
        ),
    )
    if not made:
        planned = _trajectories(len(plan.requests))
        say(f"generate: {planned} planned, every one in the cache ({cache.root}); no model work")
        return 0
    say(f"generate: made {_trajectories(len(made))} in {time.perf_counter() - start:.1f} s")
    return len(made)


def _check_worker(sampled: SampledBatch, plan: Plan, runtime: Runtime, model_id: str) -> None:
    """Stop if a worker sampled with other weights, or on another device or dtype, than the plan's keys say."""
    if sampled.identity != plan.model:
        raise UserFacingError(
            f"the worker on {sampled.node} loads other weights for {model_id} than this machine "
            f"(weights {sampled.identity.get('weights')} there, {plan.model.get('weights')} here): "
            "give every node the same model files"
        )
    if sampled.runtime != runtime:
        raise UserFacingError(
            f"the worker on {sampled.node} ran {model_id} on {sampled.runtime.device} in {sampled.runtime.dtype}, "
            f"not on {runtime.device} in {runtime.dtype} as the cache keys say"
        )
