"""Hold points: a test stops a run at a named point and acts while it waits there, not after a delay.

With `NOISE2IMAGE_HOLD_DIR` set (tests only; never in normal use), a run that reaches
`hold("bundle-stored")` counts its arrival there (across processes: Manim's, Ray workers'), and if
the folder's `hold` file names `bundle-stored#N` for this arrival N (or the bare point, for every
arrival), it writes `bundle-stored#N.held` and waits until `bundle-stored#N.release` exists. A test
arms the points, waits for the `.held` file (an event), signals or kills the run, and releases it
if the run should go on. Without the variable `hold` returns at once.

Points: `bundle-stored` (generate, after each trajectory is stored), `scene-setup` (a Manim scene
process, once its chapter data is loaded and before its first frame).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

HOLD_DIR_ENV = "NOISE2IMAGE_HOLD_DIR"


def _arrive(folder: Path, point: str) -> int:
    """This arrival's number at `point` (1, 2, ...), counted with exclusively created files."""
    n = 1
    while True:
        try:
            os.close(os.open(folder / f"{point}.arrived.{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return n
        except FileExistsError:
            n += 1


def hold(point: str) -> None:
    """Wait here if a test armed this point for this arrival (see the module docstring)."""
    folder = os.environ.get(HOLD_DIR_ENV)
    if not folder:
        return
    folder = Path(folder)
    try:
        armed = (folder / "hold").read_text().split()
    except OSError:
        return
    n = _arrive(folder, point)
    name = f"{point}#{n}"
    if name not in armed and point not in armed:
        return
    (folder / f"{name}.held").write_text(str(os.getpid()))
    while not (folder / f"{name}.release").exists():
        time.sleep(0.01)
