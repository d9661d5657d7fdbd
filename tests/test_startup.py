"""Start-up: the commands that load no model import none of torch, transformers, diffusers or Manim.

Each command runs in a fresh interpreter (`python -c`), which then prints which of those modules are
loaded. `check` validates against the model's files and the voice without loading anything heavy;
`--help` only builds the parser. (A fully cached `render` is checked the same way in
tests/test_incremental.py, on its rendered project; bench/startup.py measures the time they take.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_engine import cli_env

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "diffusers", "manim")

PROBE = """\
import json, sys
from render.cli import main
try:
    main(sys.argv[1:])
except SystemExit:  # --help exits
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def heavy_imports(*argv: object) -> list[str]:
    """The heavy modules loaded by `noise2image ARGV`, run in a fresh interpreter (which must succeed)."""
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *map(str, argv)], env=cli_env(),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["check", REPO / "storyboard.yaml"], ["--help"], ["render", "--help"]],
                         ids=["check", "help", "render-help"])  # fmt: skip
def test_commands_without_model_work_import_no_heavy_library(argv):
    assert heavy_imports(*argv) == []
