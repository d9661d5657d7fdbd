"""Holding a run at a point under test (render/hold.py): arm the point, wait until the run is there, act.

hold = Hold(tmp_path / "hold")
hold.arm("bundle-stored#3")
run = subprocess.Popen(command, env={**os.environ, **hold.env}, preexec_fn=hears_ctrl_c)
hold.wait_held("bundle-stored#3", run)   # the run is now stopped right after its third bundle
run.send_signal(signal.SIGINT)            # ... so the signal finds it there, however busy the machine
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from render.hold import HOLD_DIR_ENV


def hears_ctrl_c() -> None:
    """`preexec_fn` for a run a test will stop with SIGINT: SIGINT back to its default in the child. A test
    session started in the background by a shell without job control (`cmd &`, `nohup`) inherits SIGINT
    ignored, and so would the run (Python then installs no KeyboardInterrupt): the signal would be lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


HANG = 600  # seconds after which a run that never reaches its point fails the test (a guard, not a wait)


class Hold:
    """The hold folder of one test run."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        return {HOLD_DIR_ENV: str(self.folder)}

    def arm(self, *points: str) -> None:
        """Hold runs at these points (`name#N`: the N-th arrival; `name`: every arrival)."""
        (self.folder / "hold").write_text("\n".join(points) + "\n")

    def wait_held(self, name: str, run: subprocess.Popen | None = None) -> int:
        """Wait until a run waits at `name` (an event: its .held file); returns the holding process's pid."""
        marker = self.folder / f"{name}.held"
        deadline = time.monotonic() + HANG
        while not marker.exists():
            if run is not None and run.poll() is not None:
                raise AssertionError(f"the run ended (exit {run.returncode}) before reaching {name}:\n"
                                     + (run.stderr.read() if run.stderr else ""))  # fmt: skip
            assert time.monotonic() < deadline, f"no run reached {name} in {HANG} s"
            time.sleep(0.01)
        while not (text := marker.read_text()):  # written, not yet filled
            time.sleep(0.001)
        return int(text)

    def release(self, name: str) -> None:
        (self.folder / f"{name}.release").touch()

    def reset(self) -> None:
        """Disarm, and forget every arrival (a folder shared by several tests, like a Ray cluster's)."""
        for path in self.folder.iterdir():
            path.unlink()
