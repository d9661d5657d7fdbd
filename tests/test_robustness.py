"""`render` under stress: killed mid-clip, run twice at once, odd paths, an unwritable out folder, no CUDA.

Every test works on the two-chapter storyboard of tests/helpers_video.py (tiny local PRX model,
low quality, espeak). One fresh render, made by a real `noise2image render` process in a folder
named with a space, an accent and an emoji, is shared: it is itself the test of odd paths, and
its cache is copied (minus the stages a test wants redone) by the other tests.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_hold import Hold, hears_ctrl_c
from helpers_video import TWO_CHAPTERS, ffprobe_json, run_cli, save_tiny_prx, storyboard_data, write_storyboard
from test_engine import CLI, assert_cache_intact, cli_env

from render.engine.cache import CACHE_ENV
from render.media.ffmpeg import video_info

pytestmark = pytest.mark.slow  # real CLI processes and Manim renders

REPO = Path(__file__).resolve().parent.parent
ODD = "my vídeos ✨"
TITLES = [c["title"] for c in TWO_CHAPTERS]
IDS = [c["id"] for c in TWO_CHAPTERS]
REQUESTS = 3  # ('a red circle', seeds 1 and 2, and seed 1 again: the seeds chapter shows it twice)


@dataclass
class Project:
    root: Path  # the tmp folder holding everything (the odd-named folder is inside it)
    folder: Path  # `my vídeos ✨/`
    storyboard: Path
    cache: Path
    out: Path
    log: str
    before: dict[str, tuple[int, int]]  # files of `root` before the render
    after: dict[str, tuple[int, int]]
    repo_before: dict[str, int]
    repo_after: dict[str, int]


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (size, mtime ns) of every file under `folder`."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def repo_tree() -> dict[str, int]:
    """Files of the repository (not .git, .venv or byte-code caches): relative path -> mtime ns."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(REPO):
        dirnames[:] = [d for d in dirnames if d not in {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}]
        for name in filenames:
            path = Path(dirpath) / name
            out[path.relative_to(REPO).as_posix()] = path.stat().st_mtime_ns
    return out


def env() -> dict[str, str]:
    return {**cli_env(), "OMP_NUM_THREADS": "1"}


def render_command(storyboard: Path, cache: Path, out: Path) -> list[str]:
    return [*CLI, "render", str(storyboard), "--cache", str(cache), "--out", str(out), "--jobs", "1"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("robust")
    folder = root / ODD
    model = save_tiny_prx(folder / "tiny-prx")
    storyboard = write_storyboard(folder / "story board.yaml", storyboard_data(model, voice="espeak:en-us"))
    cache, out = folder / "cache ✨", folder / "out vídeo"
    before, repo_before = tree(root), repo_tree()
    proc = subprocess.run(render_command(storyboard, cache, out), cwd=folder, env=env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return Project(root, folder, storyboard, cache, out, proc.stderr, before, tree(root), repo_before, repo_tree())


# ---- checks --------------------------------------------------------------------------------------


def assert_video_plays(out: Path) -> None:
    video = out / "video.mp4"
    proc = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-f", "null", "-"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    chapters = ffprobe_json(video, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == TITLES
    assert sorted(p.name for p in (out / "chapters").glob("*.mp4")) == [f"0{i + 1}-{c}.mp4" for i, c in enumerate(IDS)]
    assert not [p.name for p in out.rglob(".*")], "temporary files left in the out folder"


def clips(cache: Path) -> dict[str, int]:
    """Clip file name -> mtime ns of the finished clips in the cache."""
    return {p.name: p.stat().st_mtime_ns for p in sorted((cache / "clips").glob("*.mp4"))}


def assert_clips_whole(cache: Path) -> None:
    """Every clip under a final name decodes and has frames; no temporary render is left behind."""
    for name in clips(cache):
        assert video_info(cache / "clips" / name)["frames"] > 0, name
    leftovers = [p.name for p in (cache / "clips").iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"unfinished clip renders left in the cache: {leftovers}"


def assert_cache_whole(cache: Path) -> None:
    assert_cache_intact(cache, REQUESTS)
    assert_clips_whole(cache)
    for stage in ("chapters", "narration"):
        assert not [p.name for p in (cache / stage).iterdir() if p.name.startswith(".")], stage


def copy_cache(project: Project, to: Path, without: tuple[str, ...] = ()) -> Path:
    """The shared render's cache copied to `to`, minus the stage folders in `without` (mtimes kept)."""
    shutil.copytree(
        project.cache, to, ignore=lambda d, names: [n for n in names if Path(d) == project.cache and n in without]
    )
    return to


# ---- paths with spaces and unicode -------------------------------------------------------------


def test_paths_with_spaces_and_unicode_render_and_nothing_is_written_outside_cache_and_out(project):
    assert_video_plays(project.out)
    assert_cache_whole(project.cache)
    cache_rel = project.cache.relative_to(project.root).as_posix() + "/"
    out_rel = project.out.relative_to(project.root).as_posix() + "/"
    changed = {
        path for path in set(project.before) | set(project.after) if project.before.get(path) != project.after.get(path)
    }
    elsewhere = sorted(p for p in changed if not p.startswith((cache_rel, out_rel)))
    assert elsewhere == [], f"written outside the cache and out folders: {elsewhere}"
    assert project.repo_after == project.repo_before, "the render wrote into the repository"


# ---- interrupted clip rendering ------------------------------------------------------------------


def start_and_stop(command: list[str], cache: Path, sig: signal.Signals, hold: Hold, *, group: bool) -> tuple[int, str]:
    """Start `render --jobs 1`, hold its second Manim process as it starts its scene (render/hold.py;
    the first clip is then finished), and send `sig` there (to the process, or to its whole group as
    a terminal's Ctrl-C does). Returns (exit code, stderr)."""
    hold.arm("scene-setup#2")
    run = subprocess.Popen(
        command, env={**env(), **hold.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=hears_ctrl_c,
    )  # fmt: skip
    try:
        hold.wait_held("scene-setup#2", run)
        (os.killpg if group else os.kill)(run.pid, sig)
        _, err = run.communicate(timeout=600)  # a guard against a hang, not a measure of speed
        return run.returncode, err
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        hold.release("scene-setup#2")  # a Manim process that outlived the stop would wait here forever
        deadline = time.monotonic() + 60
        while live_in_group(run.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = live_in_group(run.pid)  # nothing of the stopped run may live on (an orphaned Manim)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, f"processes of the stopped render still running: {left}"


def live_in_group(pgid: int) -> list[int]:
    """The processes of group `pgid` that are still running (zombies, dead but not reaped, are not)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live


@pytest.mark.parametrize(
    "sig, group",
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGKILL, True)],
    ids=["ctrl-c-process", "ctrl-c-terminal", "kill"],
)
def test_a_render_stopped_while_rendering_clips_resumes_with_only_the_unfinished_clip(
    project, tmp_path, monkeypatch, sig, group
):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    cache = copy_cache(project, tmp_path / "cache", without=("clips",))
    out = tmp_path / "out"
    command = render_command(project.storyboard, cache, out)
    code, err = start_and_stop(command, cache, sig, Hold(tmp_path / "hold"), group=group)

    finished = clips(cache)
    assert len(finished) == 1, finished
    if sig == signal.SIGINT:
        assert code == 130, (code, err)
        assert "Traceback" not in err, err
        assert "interrupted" in err and "1 of 2 chapter clips finished" in err, err
    else:
        assert code == -signal.SIGKILL
    assert not (out / "video.mp4").exists()
    for name in finished:  # what is under a final name is whole, whatever the moment of the stop
        assert video_info(cache / "clips" / name)["frames"] > 0

    code, log = run_cli("render", project.storyboard, "--cache", cache, "--out", out, "--jobs", "1")
    assert code == 0 and "Traceback" not in log, log
    assert "no model work" in log and "render: 1 chapter clip to render" in log, log
    if sig == signal.SIGKILL:  # a killed run cannot clean up; the next one removes its temporary render
        assert "removed 1 unfinished clip render left" in log, log
    assert {name: mtime for name, mtime in clips(cache).items() if name in finished} == finished
    assert len(clips(cache)) == 2
    assert_video_plays(out)
    assert_cache_whole(cache)


# ---- two renders at once -------------------------------------------------------------------------


def test_two_renders_of_one_storyboard_at_once_both_succeed_with_an_intact_video_and_cache(project, tmp_path):
    cache = copy_cache(project, tmp_path / "cache", without=("clips", "chapters"))
    out = tmp_path / "out"
    command = render_command(project.storyboard, cache, out)
    runs = [subprocess.Popen(command, env=env(), stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [run.communicate(timeout=180)[1] for run in runs]
    for run, err in zip(runs, errs, strict=True):
        assert run.returncode == 0 and "Traceback" not in err, err
    assert_video_plays(out)
    assert_cache_whole(cache)
    assert len(clips(cache)) == 2
    # The clips were rendered once: the second run waited for the first and found them cached.
    assert sum(len(re.findall(r"^render: \[\d+/\d+\] ", log, flags=re.M)) for log in errs) == 2, errs


# ---- an out folder that cannot be written --------------------------------------------------------


def unwritable(tmp_path: Path, how: str) -> tuple[Path, Path]:
    """(the --out folder, the path the error must name)."""
    if how == "file":
        blocker = tmp_path / "not a folder"
        blocker.write_text("a file where a folder is expected")
        return blocker / "out", blocker / "out"
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only folder does not stop writes (the 'file' case covers this)")
    parent = tmp_path / "read only"
    parent.mkdir(mode=0o500)
    return parent / "out", parent / "out"


@pytest.mark.parametrize("how", ["file", "chmod"])
def test_an_unwritable_out_folder_is_a_one_line_error_naming_it_and_the_cache_stays_intact(
    project, tmp_path, monkeypatch, how
):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    cache = copy_cache(project, tmp_path / "cache")
    out, named = unwritable(tmp_path, how)
    stored = {k: v for k, v in tree(cache).items() if not k.startswith("locks/")}
    try:
        code, log = run_cli("render", project.storyboard, "--cache", cache, "--out", out)
    finally:
        if how == "chmod":
            (tmp_path / "read only").chmod(0o700)
    assert code == 1, log
    assert "Traceback" not in log, log
    errors = [line for line in log.splitlines() if line.startswith("noise2image:")]
    assert len(errors) == 1 and str(named) in errors[0], log
    assert "render:" not in log, "the out folder must be checked before any work is done"
    assert {k: v for k, v in tree(cache).items() if not k.startswith("locks/")} == stored
    assert_cache_whole(cache)


# ---- devices -------------------------------------------------------------------------------------


def no_cuda() -> bool:
    import torch

    return not torch.cuda.is_available()


@pytest.mark.skipif(not no_cuda(), reason="this machine has CUDA")
def test_device_cuda_without_cuda_is_a_clear_error(project, tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    data = storyboard_data(project.folder / "tiny-prx")
    data["model"]["device"] = "cuda"
    storyboard = write_storyboard(tmp_path / "cuda.yaml", data)
    code, log = run_cli("render", storyboard, "--cache", tmp_path / "cache", "--out", tmp_path / "out")
    assert code == 1, log
    assert "Traceback" not in log, log
    assert "model.device is 'cuda' but this machine has no usable CUDA GPU; use 'auto' or 'cpu'" in log, log
    assert not (tmp_path / "out" / "video.mp4").exists()


@pytest.mark.skipif(not no_cuda(), reason="this machine has CUDA")
def test_device_auto_without_cuda_runs_on_the_cpu_and_says_so(project, tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    data = storyboard_data(project.folder / "tiny-prx")
    data["model"]["device"] = "auto"
    storyboard = write_storyboard(tmp_path / "auto.yaml", data)
    code, log = run_cli("generate", storyboard, "--cache", tmp_path / "cache")
    assert code == 0 and "Traceback" not in log, log
    assert "no GPU found; the model runs on the CPU" in log, log
    assert f"{REQUESTS} of {REQUESTS} trajectories to make on cpu" in log, log
    assert_cache_intact(tmp_path / "cache", REQUESTS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
