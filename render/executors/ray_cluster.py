"""The Ray executor (`--executor ray`): generation batches on Ray actors, clips and slide encodes as Ray tasks.

It follows Ray's batch-inference pattern: one actor per GPU (`num_gpus=1`; one per CPU when the
cluster has no GPU) loads the model once and samples every batch it is sent, through a
`ray.util.ActorPool`. Each chapter clip, and each chapter's slide encodes, is one task
(`num_cpus=1`) that runs the local executor's code on its worker.

No shared filesystem is needed: what a worker reads (a chapter data bundle and its timing, a clip to
encode) travels with its task as bytes, and what it makes (trajectories, an MP4, slide files) comes
back to this process, which writes it into its own cache under the key it computed. Workers need
the same noise2image, Manim and model files installed; each reports the hash of its scene code and
of its model's weights, and a mismatch stops the run rather than caching clips under keys that
describe other code.

Faults: a task whose worker dies is run again (`max_retries`); an actor whose process dies is
restarted and its batch sent again (`max_restarts`, `max_task_retries`); a Manim process dies with
the worker that started it. On Ctrl-C the cluster's work is cancelled (a cancelled clip task stops
its Manim process); the cache stays consistent because only finished results are written, atomically.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from render.chapter_data import Timing, write_timing
from render.engine.models import ModelError, load_model
from render.errors import UserFacingError
from render.executors import RAY_ADDRESS_ENV
from render.keys import SCENE_CODE, code_version
from render.kinds.base import SceneRef
from render.media.audio import write_wav
from render.media.files import atomic_write
from render.paths import REPO_ROOT
from render.progress import say
from render.speech import SAMPLE_RATE
from render.stages.clips import ClipRenders, render_clip
from render.stages.export import export_chapter
from render.stages.generate import batches, sample_batches

TASK_RETRIES = 3  # a task is run again when its worker process dies (not when its code raises)
ACTOR_RESTARTS = 2  # an actor whose process dies is restarted, reloading its model, and its batch retried
PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies (Linux)


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
        say(f"ray: {what}: {nodes} node(s), {resources.get('CPU', 0):g} CPU(s), {resources.get('GPU', 0):g} GPU(s)")
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

    # ---- generation ---------------------------------------------------------------------------

    def sampler(self, session) -> RaySampler:
        return RaySampler(self, session.storyboard.model, session.plan.model)

    # ---- chapter clips ------------------------------------------------------------------------

    def render_clips(self, session, todo, quality: str, fps: int, jobs: int) -> Iterator[tuple[str, float, float]]:
        say(f"render: {len(todo)} chapter clip(s) to render at {quality} quality, one Ray task each")
        ray = self.connect()
        task = ray.remote(render_clip_task).options(num_cpus=1, max_retries=TASK_RETRIES)
        refs = {}  # the inputs travel with each task: the chapter data bundle's files and the timing
        for chapter, timing, path in todo:
            scene, bundle = chapter.kind.scene, _folder_bytes(session.data_folder(chapter))
            ref = task.remote(_portable(scene.file), scene.cls, bundle, timing.model_dump_json(), quality, fps)
            refs[ref] = (chapter, timing, path)
        manim = version("manim")
        for ref, made in _as_completed(ray, list(refs)):
            chapter, timing, path = refs[ref]
            expected = {"scenes": session.scene_version(chapter), "manim": manim}
            if made["code"] != expected:
                raise UserFacingError(
                    f"the Ray worker on {made['node']} renders {chapter.id} with other scene code or Manim than this "
                    f"machine ({made['code']} there, {expected} here): install the same noise2image and Manim on "
                    "every node (see README, 'Running on a Ray cluster')"
                )
            write_timing(path.with_suffix(".timing.json"), timing)  # beside the clip, as the local executor does
            atomic_write(path, made["mp4"])
            yield chapter.id, made["seconds"], timing.total

    # ---- slide export -------------------------------------------------------------------------

    def export_chapters(self, chapters, slides: Path, settings, tmp: Path) -> Iterator[tuple[int, list[Path]]]:
        ray = self.connect()
        task = ray.remote(export_chapter_task).options(num_cpus=1, max_retries=TASK_RETRIES)
        refs = {task.remote(c, c.media.clip.read_bytes(), settings): k for k, c in enumerate(chapters)}
        for ref, files in _as_completed(ray, list(refs)):
            yield refs[ref], [atomic_write(slides / name, data) for name, data in files.items()]


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


def _portable(path: Path) -> str:
    """A scene file as the worker finds it: relative to the installation when it is part of it."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its relative path: a chapter data bundle, to send with a task."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- what runs on the workers ----------------------------------------------------------------------


class RaySampler:
    """Generation batches on Ray actors: one per GPU of the cluster (or per CPU without GPUs), at most one
    per batch, each loading the storyboard's model once."""

    def __init__(self, executor: RayExecutor, model, identity: dict[str, Any]):
        self.executor = executor
        self.model = model  # the storyboard's `model` section: id, device, dtype
        self.identity = identity  # what the plan's keys hash: the model id and its weights' hash
        self.device = "cpu"
        self.slots = 1

    def start(self) -> str:
        resources = self.executor.connect().cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
        if self.model.device == "cuda" and not gpus:
            raise ModelError("model.device is 'cuda' but the Ray cluster has no GPU; add a GPU node or use 'auto'")
        if self.model.device in ("auto", "cuda") and gpus:
            self.device, self.slots = "cuda", gpus
        else:
            self.device, self.slots = ("cpu" if self.model.device == "auto" else self.model.device), max(1, cpus)
        return self.device

    @property
    def where(self) -> str:
        unit = "GPU" if self.device == "cuda" else "CPU"
        return f"a Ray cluster (up to {self.slots} actor(s), one per {unit}, on {self.device})"

    def run(self, pending, size: int, bar, say) -> Iterator[tuple[list, list]]:
        from ray.util import ActorPool

        ray = self.executor.connect()
        work = batches(pending, size)
        resources = {"num_gpus": 1, "num_cpus": 1} if self.device == "cuda" else {"num_cpus": 1}
        actor = ray.remote(GenerationActor).options(
            **resources, max_restarts=ACTOR_RESTARTS, max_task_retries=ACTOR_RESTARTS
        )
        actors = [actor.remote(self.model.id, self.device, self.model.dtype) for _ in range(min(self.slots, len(work)))]
        try:
            try:
                self._check_models(ray.get([a.identity.remote() for a in actors]))
            except ray.exceptions.RayActorError as e:  # its __init__ failed: the model is not there, say, or bad
                raise UserFacingError(f"a Ray worker could not load the model {self.model.id}: {e}") from e
            by_key = {p.key: p for p in pending}
            pool = ActorPool(actors)
            for trajectories in pool.map_unordered(lambda a, batch: a.sample.remote(batch), work):
                batch = [by_key[t.key] for t in trajectories]
                bar.update(sum(p.request.steps for p in batch))
                yield batch, trajectories
        finally:  # done, failed or interrupted: free the GPUs (and stop what is still sampling)
            for a in actors:
                ray.kill(a, no_restart=True)

    def _check_models(self, reported: list[tuple[dict, str]]) -> None:
        for identity, node in reported:
            if identity != self.identity:
                raise UserFacingError(
                    f"the Ray worker on {node} loads other weights for {self.model.id} than this machine "
                    f"(weights {identity.get('weights')} there, {self.identity.get('weights')} here): "
                    "give every node the same model files"
                )


class GenerationActor:
    """A Ray actor holding one loaded model; samples the batches sent to it as the local engine does."""

    def __init__(self, model_id: str, device: str, dtype: str):
        self.model = load_model(model_id, device, dtype, say=say)

    def identity(self) -> tuple[dict, str]:
        return self.model.identity, socket.gethostname()

    def sample(self, batch: list) -> list:
        """The trajectories of `batch`, in its order (split in halves on CUDA out-of-memory, like the local engine)."""
        from tqdm import tqdm

        with tqdm(disable=True) as bar:
            return [t for _, made in sample_batches(self.model, batch, len(batch), bar, say) for t in made]


def render_clip_task(scene: str, cls: str, bundle: dict[str, bytes], timing: str, quality: str, fps: int) -> dict:
    """Render one chapter clip on a worker, from the chapter data bundle's bytes; returns the MP4's bytes and
    the hash of the scene code that drew it."""
    scene_file = Path(scene) if Path(scene).is_absolute() else REPO_ROOT / scene
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="noise2image-clip-") as tmp:
        chapter_dir = Path(tmp) / "chapter"
        for name, data in bundle.items():
            (chapter_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (chapter_dir / name).write_bytes(data)
        clip = Path(tmp) / "clip.mp4"
        renders = _RendersDyingWithWorker()
        render_clip(SceneRef(scene_file, cls), chapter_dir, Timing.model_validate_json(timing), clip, quality,
                    fps=fps, renders=renders)  # fmt: skip
        return {
            "mp4": clip.read_bytes(),
            "code": {"scenes": code_version([*SCENE_CODE, scene_file]), "manim": version("manim")},
            "seconds": time.perf_counter() - start,
            "node": socket.gethostname(),
        }


def export_chapter_task(chapter, clip: bytes, settings) -> dict[str, bytes]:
    """One chapter's slide encodes on a worker, from its clip's bytes; returns each file's name and bytes."""
    with tempfile.TemporaryDirectory(prefix="noise2image-export-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "clip.mp4").write_bytes(clip)
        (tmp / "slides").mkdir()
        wav = write_wav(tmp / f"{chapter.stem}.wav", chapter.pcm, SAMPLE_RATE) if chapter.pcm is not None else None
        here = replace(chapter, media=replace(chapter.media, clip=tmp / "clip.mp4"), wav=wav)
        return {path.name: path.read_bytes() for path in export_chapter(here, tmp / "slides", settings, tmp)}


class _RendersDyingWithWorker(ClipRenders):
    """Manim processes that get SIGTERM when the worker that started them dies: a killed worker (whose
    task Ray runs again elsewhere) leaves no orphaned render behind."""

    def run(self, cmd: list[str], **kwargs) -> tuple[int, str]:
        parent = os.getpid()
        prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

        def die_with_parent() -> None:  # runs in the child, between fork and exec
            if prctl is not None:
                prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the worker died before the signal was armed
                os._exit(1)

        return super().run(cmd, preexec_fn=die_with_parent, **kwargs)
