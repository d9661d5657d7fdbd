"""The engine through its command line: check, plan, generate, the cache and its lock.

The model is a tiny randomly initialised PRXPipeline (tests/tiny_models.py) saved with
`save_pretrained` into a folder, which the storyboards name as a local model: the same path a
user takes with a downloaded pipeline. Commands run in-process through `render.cli.main`, except
where separate processes are the point (two runs at once).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_models import TINY_SIZE, tiny_prx_pipeline

from render.cli import main
from render.engine.cache import CACHE_ENV, Cache
from render.engine.trajectory import ARRAY_FIELDS, ARRAYS, Trajectory

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "render.cli"]

# Three chapters, five distinct requests: `denoise` and `seeds` share ('a red circle', seed 1).
CHAPTERS = """\
  - id: denoise
    kind: denoising
    title: Denoise
    prompt: a red circle
    narration: One beat.
  - id: seeds
    kind: seed_comparison
    title: Seeds
    prompt: a red circle
    seeds: [1, 2, 3]
    narration: Another beat.
  - id: guidance
    kind: guidance_comparison
    title: Guidance
    prompt: a blue star
    guidance_scales: [1.0, 4.0]
    narration: A third beat.
"""
N_REQUESTS = 6  # the seeds chapter also runs its first seed again (the same image, shown twice)


def save_tiny_prx(folder: Path) -> Path:
    """The tiny PRX pipeline as a diffusers pipeline folder (model_index.json and one folder per part)."""
    tiny_prx_pipeline().save_pretrained(folder)
    return folder


def write_storyboard(folder: Path, model: Path | str, *, steps: int = 3, chapters: str = CHAPTERS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "story.yaml"
    path.write_text(
        "title: Engine test\n"
        f"model: {{id: '{model}', device: cpu}}\n"
        f"defaults: {{width: {TINY_SIZE}, height: {TINY_SIZE}, steps: {steps}, seed: 1}}\n"
        "narration: {voice: none}\n"
        "chapters:\n" + chapters
    )
    return path


def bundles(cache_root: Path) -> list[Path]:
    """Every folder under the final-name pattern (hidden temp folders excluded)."""
    folder = Cache(cache_root).trajectories
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def assert_cache_intact(cache_root: Path, expected: int) -> None:
    """`expected` complete bundles that load with verification, and nothing half-written."""
    folder = Cache(cache_root).trajectories
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"unfinished writes left in the cache: {leftovers}"
    found = bundles(cache_root)
    assert len(found) == expected, [p.name for p in found]
    for path in found:
        Trajectory.load(path, verify=True)


def made_count(stderr: str) -> int:
    """How many trajectories a generate run says it made (0 when it did no model work)."""
    if "no model work" in stderr:
        return 0
    match = re.search(r"generate: made (\d+) trajector(?:y|ies)", stderr)
    assert match, stderr
    return int(match.group(1))


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != CACHE_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def tiny_prx_dir(tmp_path_factory) -> Path:
    return save_tiny_prx(tmp_path_factory.mktemp("models") / "tiny-prx")


@pytest.fixture
def storyboard(tmp_path, tiny_prx_dir) -> Path:
    return write_storyboard(tmp_path / "project", tiny_prx_dir)


@pytest.fixture(autouse=True)
def no_cache_env(monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# ---- the model folder ----------------------------------------------------------------------------


def test_saved_tiny_prx_loads_offline_as_the_same_pipeline(tiny_prx_dir, monkeypatch):
    import torch
    from diffusers import PRXPipeline

    from render.engine.models import load_model, native_size, size_multiple

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = load_model(str(tiny_prx_dir), "cpu", "float32", say=lambda _: None)
    assert loaded.is_prx and isinstance(loaded.pipe, PRXPipeline)
    assert native_size(str(tiny_prx_dir)) == (TINY_SIZE, TINY_SIZE) and size_multiple(str(tiny_prx_dir)) == 4
    original = tiny_prx_pipeline()
    for part in ("transformer", "vae", "text_encoder"):
        saved, reloaded = getattr(original, part).state_dict(), getattr(loaded.pipe, part).state_dict()
        assert saved.keys() == reloaded.keys()
        assert all(torch.equal(saved[k], reloaded[k]) for k in saved), part
    assert loaded.pipe.tokenizer("a red circle")["input_ids"] == original.tokenizer("a red circle")["input_ids"]


# ---- check and plan ------------------------------------------------------------------------------

PLANTED = """\
title: Planted mistakes
model: {id: 'MODEL', device: cpu}
defaults: {width: 32, height: 32, steps: 0}
narration: {voice: none}
chapters:
  - id: denoise
    kind: denoising
    title: Denoise
    prompt: a red circle
    narraton: One beat.
  - id: seeds
    kind: seed_comparison
    title: Seeds
    prompt: a red circle
    seeds: [1, 1]
    narration: Two.
  - id: guidance
    kind: guidance_comparison
    title: Guidance
    prompt: a blue star
    guidance_scales: [0.5, 4.0]
    narration: Three.
  - id: other
    kind: denoisng
    title: Other
    narration: Four.
"""


def test_check_lists_every_planted_mistake_with_its_position(tmp_path, tiny_prx_dir, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(PLANTED.replace("MODEL", str(tiny_prx_dir)))
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2
    expected = {
        (3, 42): "defaults.steps",
        (10, 5): "chapters[0].narraton",  # misspelt: did you mean 'narration'
        (15, 12): "chapters[1].seeds",  # repeated seed
        (21, 23): "chapters[2].guidance_scales[0]",  # below 1.0
        (24, 11): "chapters[3].kind",  # unknown kind
    }
    for (line, col), field in expected.items():
        assert f"{path}:{line}:{col}: {field}:" in err, (field, err)
    assert "did you mean 'narration'" in err and "did you mean 'denoising'" in err


def test_plan_lists_each_request_once_with_its_chapters(storyboard, capsys):
    code, out, _ = run_cli(capsys, "plan", storyboard)
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(rows) == N_REQUESTS
    shared = [r for r in rows if "'a red circle' seed=1 " in r and "(again" not in r]
    assert len(shared) == 1 and shared[0].endswith("<- denoise, seeds")
    assert sum(r.endswith("<- seeds") for r in rows) == 3  # seeds 2 and 3, and seed 1 again
    assert sum(r.endswith("<- guidance") for r in rows) == 2
    assert all(r.strip().startswith("to do") for r in rows)
    assert f"{N_REQUESTS} requests for 3 chapters; 0 cached, {N_REQUESTS} to generate" in out


# ---- generate and the cache ----------------------------------------------------------------------

BATCH = "2"  # several batches per run


@pytest.fixture(scope="module")
def generated(tmp_path_factory, tiny_prx_dir) -> tuple[Path, Path]:
    """(storyboard, cache) after one `generate` run, made once for the module; tests copy the cache."""
    import shutil

    folder = tmp_path_factory.mktemp("generated")
    storyboard = write_storyboard(folder / "project", tiny_prx_dir)
    cache = folder / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CACHE_ENV, raising=False)
        assert main(["generate", str(storyboard), "--cache", str(cache), "--batch-size", BATCH]) == 0
    assert_cache_intact(cache, N_REQUESTS)
    shutil.rmtree(cache / "locks")
    return storyboard, cache


def copy_cache(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target)
    return target


def test_generate_again_does_no_model_work_and_a_truncated_bundle_is_remade(generated, tmp_path, capsys):
    storyboard, made = generated
    cache = copy_cache(made, tmp_path / "cache")
    code, _, err = run_cli(capsys, "generate", storyboard, "--cache", cache)
    assert code == 0
    assert "no model work" in err and "loading" not in err

    victim = bundles(cache)[2]
    arrays = victim / ARRAYS
    arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    code, _, err = run_cli(capsys, "generate", storyboard, "--cache", cache)
    assert code == 0
    assert "damaged" in err and victim.name in err and "truncated" in err
    assert made_count(err) == 1
    assert_cache_intact(cache, N_REQUESTS)


def test_cpu_runs_are_bitwise_reproducible_across_caches_and_batch_sizes(generated, tmp_path, capsys):
    storyboard, first_cache = generated
    second_cache = tmp_path / "cache"  # other batches: what a request records does not depend on its batch
    assert run_cli(capsys, "generate", storyboard, "--cache", second_cache, "--batch-size", "3")[0] == 0
    names = [p.name for p in bundles(first_cache)]
    assert names == [p.name for p in bundles(second_cache)] and len(names) == N_REQUESTS
    for name in names:
        first = Trajectory.load(first_cache / "trajectories" / name)
        second = Trajectory.load(second_cache / "trajectories" / name)
        assert first.request == second.request and first.key == second.key
        for field in ARRAY_FIELDS:
            x, y = getattr(first, field), getattr(second, field)
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), (name, field)
    # Different seeds of one prompt give different images; one seed made again gives the same bytes.
    runs = [Trajectory.load(p) for p in bundles(first_cache) if "a-red-circle" in p.name]
    by_run = {(t.request["seed"], t.request.get("repeat", 0)): t.image for t in runs}
    assert sorted(by_run) == [(1, 0), (1, 1), (2, 0), (3, 0)], sorted(by_run)
    assert not np.array_equal(by_run[1, 0], by_run[2, 0]) and not np.array_equal(by_run[2, 0], by_run[3, 0])
    assert by_run[1, 0].tobytes() == by_run[1, 1].tobytes()


def test_cache_location_flag_then_environment_then_beside_the_storyboard(generated, tmp_path, capsys, monkeypatch):
    made = generated[1]
    storyboard = tmp_path / "project" / "story.yaml"  # the same storyboard, in a folder of its own
    storyboard.parent.mkdir()
    storyboard.write_text(generated[0].read_text())
    env_cache = copy_cache(made, tmp_path / "env-cache")
    monkeypatch.chdir(tmp_path)  # the default is beside the storyboard, not in the working folder

    def cached(*extra) -> int:
        code, out, _ = run_cli(capsys, "plan", storyboard, *extra)
        assert code == 0
        return int(re.search(r"; (\d+) cached", out).group(1))

    monkeypatch.setenv(CACHE_ENV, str(env_cache))
    assert cached() == N_REQUESTS  # the environment variable
    assert cached("--cache", tmp_path / "flag-cache") == 0  # the flag beats it
    monkeypatch.delenv(CACHE_ENV)
    assert cached() == 0  # neither: build/cache beside the storyboard, still empty
    copy_cache(made, storyboard.parent / "build" / "cache")
    assert cached() == N_REQUESTS
    code, _, err = run_cli(capsys, "generate", storyboard)
    assert code == 0 and f"in the cache ({storyboard.resolve().parent / 'build' / 'cache'})" in err
    assert not (tmp_path / "build").exists()


def test_a_model_that_is_not_available_offline_is_named(tmp_path, capsys):
    path = write_storyboard(tmp_path, "nobody/no-such-model")
    code, _, err = run_cli(capsys, "generate", path, "--cache", tmp_path / "cache")
    # Found while checking the storyboard, before any work: an invalid storyboard (issue 7), at its line.
    assert code == 2
    assert f"{path}:2:" in err and "'nobody/no-such-model' is not available offline" in err
    assert "download nobody/no-such-model" in err


def test_a_model_folder_that_fails_to_load_is_a_clear_runtime_error(tmp_path, tiny_prx_dir, capsys):
    import shutil

    broken = tmp_path / "broken-prx"
    shutil.copytree(tiny_prx_dir, broken)
    (broken / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    path = write_storyboard(tmp_path / "project", broken)
    code, _, err = run_cli(capsys, "generate", path, "--cache", tmp_path / "cache")
    assert code == 1
    assert f"could not load model '{broken}'" in err


@pytest.mark.slow  # two CLI processes, each loading torch and the model
def test_two_generate_processes_at_once_share_the_work_through_the_lock(storyboard, tmp_path):
    cache = tmp_path / "cache"
    command = [*CLI, "generate", str(storyboard), "--cache", str(cache), "--batch-size", "1"]
    runs = [
        subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(run.communicate(timeout=180)[1], run.returncode) for run in runs]
    for err, code in results:
        assert code == 0 and "Traceback" not in err, err
    # Each request was made exactly once: whoever waited found the other's bundles.
    assert sum(made_count(err) for err, _ in results) == N_REQUESTS
    assert_cache_intact(cache, N_REQUESTS)
