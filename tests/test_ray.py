"""`--executor ray` on real Ray instances: the same cache keys, bundles, clips and slides as the local executor.

The storyboard is the two-chapter one of tests/helpers_video.py (tiny local PRX, low quality,
espeak), rendered by the local executor and by the Ray executor on a local Ray instance that the
CLI starts and stops itself. The fault tests join a Ray head node on 127.0.0.1 (2 CPUs, no GPU,
100 MB object store, no dashboard: tests/helpers_ray.py) with --ray-address, started for them and
stopped whatever happens; each renders one chapter from a copy of the Ray render's cache without
its clips, so only the clip stage runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers_hold import Hold, hears_ctrl_c
from helpers_ray import Head, parent, processes_titled, ray_env, ray_head, short_temp_dir, wait_until_gone
from helpers_video import run_cli, save_tiny_prx, storyboard_data, write_storyboard
from test_engine import CLI

from render.engine.trajectory import ARRAY_FIELDS, Trajectory
from render.hold import HOLD_DIR_ENV
from render.media.ffmpeg import video_info

pytestmark = pytest.mark.slow  # a Ray cluster and real renders

STAGES = ("trajectories", "chapters", "clips", "narration")


@pytest.fixture(scope="module")
def cluster():
    """A Ray head node (2 CPUs) that the fault tests' renders join with --ray-address."""
    with ray_head(cpus=2) as head:
        yield head


def run(env: dict[str, str], *argv: object, timeout: float = 600) -> tuple[int, str]:
    proc = subprocess.run([*CLI, *map(str, argv)], env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stderr


@dataclass
class Renders:
    storyboard: Path
    local_cache: Path
    local_out: Path
    ray_cache: Path
    ray_out: Path
    ray_log: str
    ray_left: list[int]  # processes of the CLI's own Ray instance still running after the render


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> Renders:
    """The storyboard rendered (with slides) by the local executor, and by the Ray executor on a local Ray
    instance that the CLI starts and stops itself. Batches of one request on both: the same batches, and two
    generation actors on Ray's two CPUs."""
    root = tmp_path_factory.mktemp("ray-render")
    storyboard = write_storyboard(root / "story.yaml", storyboard_data(save_tiny_prx(root / "tiny-prx")))
    paths = {name: root / name for name in ("local-cache", "local-out", "ray-cache", "ray-out")}
    ray_tmp = short_temp_dir()
    env = ray_env(ray_tmp)
    try:
        code, log = run(env, "render", storyboard, "--cache", paths["local-cache"], "--out", paths["local-out"],
                        "--jobs", "2", "--batch-size", "1", "--slides")  # fmt: skip
        assert code == 0, log
        code, ray_log = run(env, "render", storyboard, "--cache", paths["ray-cache"], "--out", paths["ray-out"],
                            "--jobs", "2", "--batch-size", "1", "--slides", "--executor", "ray")  # fmt: skip
        assert code == 0 and "Traceback" not in ray_log, ray_log
        left = wait_until_gone(lambda: processes_titled(str(ray_tmp)), 30)  # its GCS server and raylet name it
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    return Renders(storyboard, *paths.values(), ray_log, left)


def files(folder: Path) -> dict[str, bytes]:
    """relative path -> bytes of every file under `folder` that is not hidden."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def decoded(path: Path) -> str:
    """An MD5 of every decoded video and audio frame (WebM files carry a random segment id)."""
    proc = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0", "-f", "framemd5", "-"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("#"))


# ---- the same outputs ----------------------------------------------------------------------------


def test_the_cli_started_a_local_ray_instance_ran_everything_on_it_and_stopped_it(renders):
    log = renders.ray_log
    assert "ray: started a local Ray instance: 1 node, 2 CPUs, 0 GPUs" in log, log
    assert "generate: 3 of 3 trajectories to make on a Ray cluster (up to 2 actors, one per CPU" in log, log
    assert "render: 2 chapter clips to render at low quality, one Ray task each" in log, log
    assert "export: 13 files" in log, log
    assert renders.ray_left == [], "the local Ray instance was not stopped"


def test_ray_gives_the_same_cache_keys_and_bitwise_the_same_bundles_and_clips(renders):
    for stage in STAGES:
        local, remote = files(renders.local_cache / stage), files(renders.ray_cache / stage)
        assert sorted(local) == sorted(remote), stage  # the same keys
        if stage != "trajectories":
            assert local == remote, stage  # chapter data, narration, clips and timings byte for byte
    for bundle in (renders.local_cache / "trajectories").iterdir():  # the same batches: the same numbers
        a, b = Trajectory.load(bundle), Trajectory.load(renders.ray_cache / "trajectories" / bundle.name)
        assert a.request == b.request and a.key == b.key
        for name in ARRAY_FIELDS:
            assert np.array_equal(getattr(a, name), getattr(b, name)), (bundle.name, name)


def test_ray_exports_the_same_slides(renders):
    local, remote = files(renders.local_out / "slides"), files(renders.ray_out / "slides")
    assert sorted(local) == sorted(remote)
    for name in local:
        if name.endswith(".webm"):
            assert decoded(renders.local_out / "slides" / name) == decoded(renders.ray_out / "slides" / name), name
        elif name != "deck.pptx":  # the deck stores when it was written
            assert local[name] == remote[name], name


def test_a_second_run_local_or_on_ray_finds_everything_cached_and_starts_no_cluster(renders):
    common = ["--cache", renders.ray_cache, "--out", renders.ray_out]
    for executor in (["--executor", "ray"], ["--executor", "local"]):
        code, log = run_cli("render", renders.storyboard, *common, *executor)
        assert code == 0, log
        assert "no model work" in log and "nothing changed" in log, log
        assert "render: [" not in log and "ray:" not in log, log


# ---- faults ----------------------------------------------------------------------------------------


def _start_clip_render(renders: Renders, cluster: Head, tmp_path: Path):
    """A render of one chapter with everything but its clip cached, on the cluster, held where a Ray worker
    runs the clip task and its Manim process starts the scene (render/hold.py). Returns (the render, the
    worker's pid, Manim's pids, the cache, the hold)."""
    cache = tmp_path / "cache"
    shutil.copytree(renders.ray_cache, cache, ignore=lambda d, names: ["clips"] if Path(d) == renders.ray_cache else [])
    hold = Hold(Path(cluster.env[HOLD_DIR_ENV]))
    hold.reset()
    hold.arm("scene-setup#1")
    command = [*CLI, "render", str(renders.storyboard), "--cache", str(cache), "--out", str(tmp_path / "out"),
               "--chapters", "denoise", "--executor", "ray", "--ray-address", cluster.address]  # fmt: skip
    render = subprocess.Popen(
        command, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=hears_ctrl_c
    )
    manim = hold.wait_held("scene-setup#1", render)
    worker = parent(manim)
    assert worker in processes_titled("ray::render_clip_task"), "the held Manim is not a clip task's"
    return render, worker, [manim], cache, hold


def test_a_worker_killed_mid_clip_is_retried_and_the_render_completes_with_the_same_clips(renders, cluster, tmp_path):
    render, worker, manim, cache, hold = _start_clip_render(renders, cluster, tmp_path)
    os.kill(worker, signal.SIGKILL)  # the retried task's Manim is the second to start: it is not held
    _, log = render.communicate(timeout=600)
    assert render.returncode == 0 and "Traceback" not in log, log
    made = files(cache / "clips")
    assert made and made.items() <= files(renders.local_cache / "clips").items()
    assert wait_until_gone(lambda: manim, 60) == [], "the killed worker's Manim process lives on"
    assert not [p.name for p in (cache / "clips").iterdir() if p.name.startswith(".")]
    assert video_info(tmp_path / "out" / "video.mp4")["frames"] > 0


def test_ctrl_c_on_the_driver_cancels_the_cluster_work_and_leaves_the_cache_consistent(renders, cluster, tmp_path):
    render, worker, manim, cache, hold = _start_clip_render(renders, cluster, tmp_path)
    render.send_signal(signal.SIGINT)  # while the clip task's Manim waits at its start
    _, log = render.communicate(timeout=600)
    assert render.returncode == 130 and "Traceback" not in log, log
    assert "render: interrupted" in log, log
    assert wait_until_gone(lambda: manim, 60) == [], "Manim still runs after the render was interrupted"
    assert wait_until_gone(lambda: processes_titled("ray::render_clip_task"), 60) == []
    clips = cache / "clips"
    assert not [p.name for p in clips.iterdir() if p.name.startswith(".")] if clips.is_dir() else True
    for clip in clips.glob("*.mp4") if clips.is_dir() else []:  # whatever finished is whole and the same
        assert clip.read_bytes() == (renders.local_cache / "clips" / clip.name).read_bytes()


def test_the_head_node_never_gets_a_port_that_ray_takes_by_default(monkeypatch):
    """CI once failed when the kernel's free port was 52365, the dashboard agent's default: `ray start` refused it."""
    import helpers_ray

    offered = iter([52365, 8265, 6379, 15000, 41234])

    class Socket:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def bind(self, address):
            self.port = next(offered)

        def getsockname(self):
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(helpers_ray.socket, "socket", Socket)
    assert helpers_ray.free_head_port() == 41234
