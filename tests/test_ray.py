"""`--executor ray` on a real Ray cluster: the same cache keys, bundles, clips and slides as the local executor.

A Ray head node (2 CPUs, no GPU, 100 MB object store, no dashboard) is started for this module with
`ray start --head --block` and stopped at its end whatever happens. Everything stays on 127.0.0.1:
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps Ray on loopback (shared/PITFALLS.md, Ray), and in that
mode Ray refuses a second node process, so the cluster is one node. The storyboard is the
two-chapter one of tests/helpers_video.py (tiny local PRX, low quality, espeak), rendered once by
the local executor and once on the cluster; the fault tests start from a copy of the cluster's cache
without its clips, so only the clip stage runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers_video import save_tiny_prx, storyboard_data, write_storyboard
from test_engine import CLI, cli_env

from render.engine.trajectory import ARRAY_FIELDS, Trajectory
from render.media.ffmpeg import video_info

pytestmark = pytest.mark.slow  # a Ray cluster and real renders

STAGES = ("trajectories", "chapters", "clips", "narration")
PREVIEWS = ("previews", "x0_previews", "image")


def ray_env(ray_tmp: Path) -> dict[str, str]:
    """The environment of every Ray process and CLI run here: loopback only, no usage reports, small."""
    env = {k: v for k, v in cli_env().items() if k != "RAY_ADDRESS"}
    env.update(
        OMP_NUM_THREADS="1",
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # the node binds 127.0.0.1, not the machine's address
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",  # Ray's default for clusters; a driver given an address must say so itself
        RAY_TMPDIR=str(ray_tmp),  # a local instance started by the CLI keeps its sockets and logs here
        RAY_DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES=str(150 * 2**20),  # ... and a small object store
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def cluster():
    # Ray's socket paths must stay short (a Unix socket path has at most 107 bytes): not under pytest's tmp.
    ray_tmp = Path(tempfile.mkdtemp(prefix="n2i-ray-", dir="/tmp"))
    env, port = ray_env(ray_tmp), _free_port()
    log = ray_tmp / "head.log"
    start = [sys.executable, "-c", "from ray.scripts.scripts import main; main()", "start", "--head", "--block",
             "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2", "--num-gpus=0",
             "--object-store-memory=100000000", "--include-dashboard=false", "--disable-usage-stats",
             f"--temp-dir={ray_tmp}"]  # fmt: skip
    with open(log, "w") as out:
        head = subprocess.Popen(start, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the Ray head did not start in 120 s:\n" + log.read_text()
            time.sleep(0.2)
        yield Cluster(f"127.0.0.1:{port}", env)
    finally:  # SIGTERM makes `ray start --block` drain and stop every process it started ...
        head.terminate()
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        if _wait_until_gone(lambda: _in_group(head.pid), 30):  # ... and what did not stop is killed
            os.killpg(head.pid, signal.SIGKILL)
        shutil.rmtree(ray_tmp, ignore_errors=True)


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


@pytest.fixture(scope="module")
def renders(cluster, tmp_path_factory) -> Renders:
    root = tmp_path_factory.mktemp("ray-render")
    storyboard = write_storyboard(root / "story.yaml", storyboard_data(save_tiny_prx(root / "tiny-prx")))
    paths = {name: root / name for name in ("local-cache", "local-out", "ray-cache", "ray-out")}
    code, log = run(cluster.env, "render", storyboard, "--cache", paths["local-cache"], "--out", paths["local-out"],
                    "--jobs", "2", "--slides")  # fmt: skip
    assert code == 0, log
    code, ray_log = run(cluster.env, "render", storyboard, "--cache", paths["ray-cache"], "--out", paths["ray-out"],
                        "--slides", "--executor", "ray", "--ray-address", cluster.address)  # fmt: skip
    assert code == 0 and "Traceback" not in ray_log, ray_log
    return Renders(storyboard, paths["local-cache"], paths["local-out"], paths["ray-cache"], paths["ray-out"], ray_log)


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


def test_the_cluster_ran_generation_clips_and_slides(renders):
    log = renders.ray_log
    assert "ray: joined the Ray cluster at 127.0.0.1" in log and "2 CPU(s), 0 GPU(s)" in log, log
    assert "generate: 2 of 2 trajectories to make on a Ray cluster" in log, log
    assert "render: 2 chapter clip(s) to render at low quality, as Ray tasks" in log, log
    assert "export: 13 files" in log, log


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


def test_a_second_run_local_or_on_ray_finds_everything_cached_and_starts_no_cluster(renders, cluster):
    common = ["--cache", renders.ray_cache, "--out", renders.ray_out]
    for executor in (["--executor", "ray", "--ray-address", cluster.address], ["--executor", "local"]):
        code, log = run(cluster.env, "render", renders.storyboard, *common, *executor)
        assert code == 0, log
        assert "no model work" in log and "nothing changed" in log, log
        assert "render: [" not in log and "ray:" not in log, log


def test_other_batches_on_a_local_ray_instance_give_previews_within_one_level(renders, cluster, tmp_path):
    """No address: the CLI starts its own local Ray instance (2 CPUs, so two actors with batches of one),
    and stops it again."""
    env = {**cluster.env, "RAY_TMPDIR": tempfile.mkdtemp(prefix="n2i-ray-", dir="/tmp")}
    try:
        cache = tmp_path / "cache"
        code, log = run(env, "generate", renders.storyboard, "--cache", cache, "--executor", "ray",
                        "--batch-size", "1")  # fmt: skip
        assert code == 0 and "ray: started a local Ray instance" in log and "made 2 trajectories" in log, log
        assert "up to 2 actor(s)" in log, log
        for bundle in (renders.local_cache / "trajectories").iterdir():
            a, b = Trajectory.load(bundle), Trajectory.load(cache / "trajectories" / bundle.name)
            for name in PREVIEWS:
                difference = np.abs(getattr(a, name).astype(int) - getattr(b, name).astype(int)).max()
                assert difference <= 1, (bundle.name, name, difference)
        assert _wait_until_gone(lambda: _processes_mentioning(env["RAY_TMPDIR"]), 30) == []
    finally:
        shutil.rmtree(env["RAY_TMPDIR"], ignore_errors=True)


# ---- faults ----------------------------------------------------------------------------------------


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid() and _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _in_group(pgid: int) -> list[int]:
    """Live processes of process group `pgid` (the Ray head's: its GCS, raylet and agents)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                found.append(int(stat.parent.name))
        except OSError:
            continue
    return [pid for pid in found if _alive(pid)]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(stat.parent.name))
        except OSError:
            continue
    return kids


def _wait_until_gone(find, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in find() if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _start_clip_render(renders: Renders, cluster: Cluster, tmp_path: Path):
    """A render with everything but the clips cached, on the cluster, stopped at the point where a Ray worker
    runs a clip task and its Manim process has started. Returns (the render, worker pid, Manim pids, cache)."""
    cache = tmp_path / "cache"
    shutil.copytree(renders.ray_cache, cache, ignore=lambda d, names: ["clips"] if Path(d) == renders.ray_cache else [])
    command = [*CLI, "render", str(renders.storyboard), "--cache", str(cache), "--out", str(tmp_path / "out"),
               "--executor", "ray", "--ray-address", cluster.address]  # fmt: skip
    render = subprocess.Popen(command, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while True:
        assert render.poll() is None, render.communicate()[1]
        assert time.monotonic() < deadline, "no clip task started rendering in 180 s"
        for worker in _processes_mentioning("ray::render_clip_task"):
            if manim := _children(worker):
                return render, worker, manim, cache
        time.sleep(0.1)


def test_a_worker_killed_mid_clip_is_retried_and_the_render_completes_with_the_same_clips(renders, cluster, tmp_path):
    render, worker, manim, cache = _start_clip_render(renders, cluster, tmp_path)
    os.kill(worker, signal.SIGKILL)
    _, log = render.communicate(timeout=300)
    assert render.returncode == 0 and "Traceback" not in log, log
    assert files(cache / "clips") == files(renders.local_cache / "clips")
    assert _wait_until_gone(lambda: manim, 10) == [], "the killed worker's Manim process lives on"
    assert not [p.name for p in (cache / "clips").iterdir() if p.name.startswith(".")]
    assert video_info(tmp_path / "out" / "video.mp4")["frames"] > 0


def test_ctrl_c_on_the_driver_cancels_the_cluster_work_and_leaves_the_cache_consistent(renders, cluster, tmp_path):
    render, worker, manim, cache = _start_clip_render(renders, cluster, tmp_path)
    render.send_signal(signal.SIGINT)
    _, log = render.communicate(timeout=60)
    assert render.returncode == 130 and "Traceback" not in log, log
    assert "render: interrupted" in log, log
    assert _wait_until_gone(lambda: manim, 15) == [], "Manim still runs after the render was interrupted"
    assert _wait_until_gone(lambda: _processes_mentioning("ray::render_clip_task"), 15) == []
    clips = cache / "clips"
    assert not [p.name for p in clips.iterdir() if p.name.startswith(".")] if clips.is_dir() else True
    for clip in clips.glob("*.mp4") if clips.is_dir() else []:  # whatever finished is whole and the same
        assert clip.read_bytes() == (renders.local_cache / "clips" / clip.name).read_bytes()
