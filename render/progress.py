"""Progress of a stage: a bar on a terminal, one line per finished item otherwise (logs, CI, pipes).

    with Progress("export", total=len(tasks), unit="file") as progress:
        for task in tasks:
            ...
            progress.done(path.name)

A stage that can take more than a few seconds reports through this, so nobody stares at a silent
terminal: generation counts steps, analysis and clips count chapters, narration beats, export files.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO


def say(message: str) -> None:
    """A notice of the run (progress, a choice made, a warning): one line on stderr, so stdout stays the result's."""
    print(message, file=sys.stderr, flush=True)


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, e.g. a container's share), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS has no affinity masks
        return os.cpu_count() or 1


class Progress:
    """Counts finished items of one stage; thread-safe (items may finish in worker threads)."""

    def __init__(self, stage: str, total: int, unit: str = "item", *, stream: TextIO | None = None, tty=None):
        self.stage, self.total, self.count = stage, total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._lock = threading.Lock()
        self._bar = None
        if self.tty:
            from tqdm import tqdm  # only for a terminal: the CLI's start-up imports no more than it needs

            self._bar = tqdm(total=total, desc=stage, unit=unit, file=self.stream, dynamic_ncols=True, leave=False)

    def done(self, label: str, n: int = 1) -> None:
        """`n` more items finished, the last one described by `label`."""
        with self._lock:
            self.count += n
            if self._bar is not None:
                self._bar.set_postfix_str(label, refresh=False)
                self._bar.update(n)
            else:
                print(f"{self.stage}: [{self.count}/{self.total}] {label}", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        """A line of its own, above the bar on a terminal."""
        with self._lock:
            if self._bar is not None:
                self._bar.write(message, file=self.stream)
            else:
                print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
