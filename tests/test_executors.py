"""The executor options of the CLI, and noise2image without Ray: the local executor never needs it.

Ray is made unimportable in a subprocess (`sys.modules["ray"] = None`), as on an installation
without the `ray` extra. The Ray executor itself is tested on a real cluster in tests/test_ray.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_engine import cli_env, save_tiny_prx, write_storyboard

WITHOUT_RAY = 'import sys; sys.modules["ray"] = None; from render.cli import main; sys.exit(main(sys.argv[1:]))'
ONE_REQUEST = """\
  - id: denoise
    kind: denoising
    title: Denoise
    prompt: a red circle
    narration: One beat.
"""


def run_without_ray(*argv: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_RAY, *map(str, argv)], env=cli_env(), capture_output=True,
                          text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def storyboard(tmp_path_factory):
    root = tmp_path_factory.mktemp("plain")
    return write_storyboard(root / "project", save_tiny_prx(root / "tiny-prx"), steps=2, chapters=ONE_REQUEST)


@pytest.mark.parametrize("command", ["generate", "render", "export"])
def test_executor_ray_without_ray_installed_names_the_extra_and_exits_2(storyboard, command):
    proc = run_without_ray(command, storyboard, "--executor", "ray")
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'noise2image[ray]'" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (storyboard.parent / "build").exists(), "work was done before the missing extra was reported"


def test_the_local_executor_generates_without_ray_installed(storyboard, tmp_path):
    proc = run_without_ray("generate", storyboard, "--cache", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "made 1 trajectory in" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "ray:" not in proc.stderr, proc.stderr


def test_a_ray_address_without_the_ray_executor_is_a_usage_error(storyboard):
    proc = run_without_ray("render", storyboard, "--ray-address", "127.0.0.1:6379")
    assert proc.returncode == 2 and "--ray-address needs --executor ray" in proc.stderr, proc.stderr
