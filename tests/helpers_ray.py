"""A Ray head node on 127.0.0.1 for the Ray tests and benchmark, and a look at the processes it runs.

`ray_head()` starts one with `ray start --head --block` and, whatever happens, stops it and every
process it started. All traffic stays on loopback: RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 makes the node
bind 127.0.0.1 (shared/PITFALLS.md, Ray); in that mode Ray refuses a second node process, so a
"cluster" here is one node. Usage reports are off, and token authentication is on, as on Ray
clusters by default (a driver given an address must then set RAY_AUTH_MODE=token itself).
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from render.hold import HOLD_DIR_ENV  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def ray_env(ray_tmp: Path) -> dict[str, str]:
    """The environment of the Ray processes and CLI runs: this checkout's code first, loopback only, no usage
    reports, a small object store."""
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "NOISE2IMAGE_CACHE")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.update(
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # the node binds 127.0.0.1, not the machine's address
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",
        RAY_TMPDIR=str(ray_tmp),  # a local instance started by the CLI keeps its sockets and logs here
        RAY_DEFAULT_OBJECT_STORE_MAX_MEMORY_BYTES=str(150 * 2**20),  # ... and a small object store
    )
    env[HOLD_DIR_ENV] = str(ray_tmp / "hold")  # tests hold a worker's Manim at a point (render/hold.py)
    return env


def short_temp_dir() -> Path:
    """A folder for Ray's sessions: its socket paths must stay short (at most 107 bytes), so not under pytest's tmp."""
    return Path(tempfile.mkdtemp(prefix="n2i-ray-", dir="/tmp"))


@dataclass
class Head:
    address: str  # 127.0.0.1:PORT, for --ray-address
    env: dict[str, str]  # the environment to run the CLI in


def free_head_port() -> int:
    """A free loopback port for the head's GCS that is none of the ports Ray takes by default (dashboard
    8265, dashboard agent 52365, ...) nor in its worker range: `ray start` refuses a --port that equals one,
    and the kernel hands out 52365 like any other free port."""
    from ray._private import ray_constants

    taken = {v for k, v in vars(ray_constants).items() if k.startswith("DEFAULT") and k.endswith("_PORT")}
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken and not 10002 <= port <= 19999:
            return port


@contextmanager
def ray_head(cpus: int = 2, object_store: int = 100_000_000) -> Iterator[Head]:
    """A running Ray head node with `cpus` CPUs and no GPU; stopped with all its processes on exit."""
    ray_tmp = short_temp_dir()
    env = ray_env(ray_tmp)
    port = free_head_port()
    log = ray_tmp / "head.log"
    start = [sys.executable, "-c", "from ray.scripts.scripts import main; main()", "start", "--head", "--block",
             "--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={cpus}", "--num-gpus=0",
             f"--object-store-memory={object_store}", "--include-dashboard=false", "--disable-usage-stats",
             f"--temp-dir={ray_tmp}"]  # fmt: skip
    with open(log, "w") as out:
        head = subprocess.Popen(start, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the Ray head did not start in 120 s:\n" + log.read_text()
            time.sleep(0.2)
        yield Head(f"127.0.0.1:{port}", env)
    finally:  # SIGTERM makes `ray start --block` drain and stop every process it started ...
        head.terminate()
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        if wait_until_gone(lambda: in_group(head.pid), 30):  # ... and what did not stop is killed
            os.killpg(head.pid, signal.SIGKILL)
        shutil.rmtree(ray_tmp, ignore_errors=True)


# ---- processes -------------------------------------------------------------------------------------


def _stat(pid_dir: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgid, ...), or None if gone."""
    try:
        return (pid_dir / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Running (zombies, dead but not reaped, are not)."""
    fields = _stat(Path(f"/proc/{pid}"))
    return fields is not None and fields[0] != "Z"


def _live(match: Callable[[list[str]], bool]) -> list[int]:
    pids = [int(d.name) for d in Path("/proc").glob("[0-9]*") if (fields := _stat(d)) and match(fields)]
    return [pid for pid in pids if alive(pid)]


def in_group(pgid: int) -> list[int]:
    """Live processes of process group `pgid`."""
    return _live(lambda fields: int(fields[2]) == pgid)


def parent(pid: int) -> int:
    """The parent process of `pid`."""
    fields = _stat(Path(f"/proc/{pid}"))
    assert fields is not None, f"process {pid} is gone"
    return int(fields[1])


def children(pid: int) -> list[int]:
    """Live child processes of `pid`."""
    return _live(lambda fields: int(fields[1]) == pid)


def processes_titled(text: str) -> list[int]:
    """Live processes whose command line contains `text` (Ray titles a worker `ray::<task>` while it runs one)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid() and alive(pid)]


def wait_until_gone(find: Callable[[], list[int]], seconds: float) -> list[int]:
    """Wait up to `seconds` for the processes `find()` lists to end; returns those still running."""
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in find() if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left
