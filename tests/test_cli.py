"""The command line's contract: `--version`, and its exit codes (render/cli.py's docstring).

2 when the command itself is wrong (an option's value, an unknown chapter id): fix the command and
run it again; 1 when what was asked for could not be made. The storyboard here is the embedded model
with the silent voice, so these run in seconds and load no weights.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest
from helpers_video import run_cli
from test_engine import cli_env

from render.cli import main
from render.errors import UsageError, UserFacingError

STORYBOARD = """\
title: Exit codes
model: {id: builtin:tiny-prx}
narration: {voice: none}
chapters:
  - id: first
    kind: denoising
    title: First
    prompt: a star
    narration: [Hello.]
  - id: second
    kind: denoising
    title: Second
    prompt: a circle
    narration: [Hello again.]
"""


@pytest.fixture
def storyboard(tmp_path):
    path = tmp_path / "project" / "story.yaml"
    path.parent.mkdir()
    path.write_text(STORYBOARD)
    return path


def test_version_prints_the_installed_packages_version_and_exits_0():
    proc = subprocess.run([sys.executable, "-m", "render.cli", "--version"], env=cli_env(), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"noise2image {version('noise2image')}\n"


@pytest.mark.parametrize("command", ["render", "preview", "verify"])
def test_an_unknown_chapter_id_is_a_usage_error_naming_the_known_ones(storyboard, tmp_path, command):
    out = tmp_path / "out"
    argv = [command, storyboard, "--cache", tmp_path / "cache", "--chapters", "second,nosuch"]
    code, log = run_cli(*argv, *(["--out", out] if command != "verify" else []))
    assert code == 2, log
    assert log.strip() == "noise2image: no chapter with id nosuch; the storyboard has: first, second", log
    assert not out.exists(), "work was done before the unknown id was reported"


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "{story}", "--jobs", "0"],
        ["preview", "{story}", "--jobs", "two"],
        ["generate", "{story}", "--batch-size", "-1"],
        ["export", "{story}", "--width", "8"],
        ["render", "{story}", "--no-clips"],
        ["render", "{story}", "--quality", "best"],
    ],
)
def test_bad_option_values_are_usage_errors(storyboard, argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main([str(storyboard) if a == "{story}" else a for a in argv])
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_an_invalid_storyboard_is_a_usage_error(storyboard):
    storyboard.write_text(STORYBOARD.replace("kind: denoising", "kind: nonsense", 1))
    code, log = run_cli("check", storyboard)
    assert code == 2 and "nonsense" in log and "Traceback" not in log, log


def test_a_run_time_failure_exits_1(storyboard, tmp_path):
    """The command is right, but the output folder cannot be made (its parent is a file)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, log = run_cli("render", storyboard, "--cache", tmp_path / "cache", "--out", blocker / "out")
    assert code == 1, log
    assert str(blocker) in log and "Traceback" not in log, log


def test_usage_errors_are_user_facing_errors_with_their_own_exit_code():
    assert issubclass(UsageError, UserFacingError)
    assert (UsageError.exit_code, UserFacingError.exit_code) == (2, 1)
