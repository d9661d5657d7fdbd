"""Subprocesses that tasks start (Manim), stopped together when the run that sent the tasks stops.

A task runs its process with `run(cmd)`, in the process group its executor made active for the thread
running it (`with group.active():`). The local executor runs each task in a thread of this process
inside one group, and on Ctrl-C, a failed task or an early close calls `group.stop()`: every process
still running is terminated at once and none starts after. A task interrupted in its own thread (a
cancelled Ray task gets KeyboardInterrupt there) kills its process before the interruption goes on.

On a cluster's worker the group is made with `die_with_parent`: each process then gets SIGTERM when
the worker that started it dies (Linux's PR_SET_PDEATHSIG), so a killed worker, whose task is run
again elsewhere, leaves no orphaned render behind. (Not here: arming it takes a `preexec_fn`, which
the subprocess documentation warns against in a process with several threads, as a local run is.)
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies (Linux)

_current = threading.local()


class ProcessesStopped(RuntimeError):
    """The group was stopped: no new process starts."""


class ProcessGroup:
    """The processes of a batch of tasks (possibly in several threads), to stop them together."""

    def __init__(self, *, die_with_parent: bool = False) -> None:
        self.die_with_parent = die_with_parent
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self.stopped = False

    @contextmanager
    def active(self) -> Iterator[ProcessGroup]:
        """Make this the group of the processes that `run` starts in the current thread."""
        previous = getattr(_current, "group", None)
        _current.group = self
        try:
            yield self
        finally:
            _current.group = previous

    def run(self, cmd: list[str], **kwargs) -> tuple[int, str]:
        """Run `cmd` to its end: (exit code, stdout + stderr)."""
        if self.die_with_parent:
            kwargs["preexec_fn"] = _dying_with_parent()
        with self._lock:
            if self.stopped:
                raise ProcessesStopped(f"stopped before {os.path.basename(cmd[0])} could start")
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
            self._running.add(proc)
        try:
            out, err = proc.communicate()
        except BaseException:  # interrupted in this very thread (a cancelled Ray task): the process must not run on
            proc.kill()
            proc.wait()
            raise
        finally:
            with self._lock:
                self._running.discard(proc)
        return proc.returncode, out + err

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate every running process (killed if it has not ended after `timeout` s) and wait for it."""
        with self._lock:
            self.stopped = True
            running = list(self._running)
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(cmd: list[str], **kwargs) -> tuple[int, str]:
    """Run `cmd` to its end in the current thread's group (a group of its own when none is active):
    (exit code, stdout + stderr)."""
    group = getattr(_current, "group", None) or ProcessGroup()
    return group.run(cmd, **kwargs)


def _dying_with_parent():
    """A `preexec_fn` that asks for SIGTERM when the parent dies (and exits if it is already gone)."""
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

    def die_with_parent() -> None:  # runs in the child, between fork and exec
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return die_with_parent
