"""The training loop both phases of a run share: learning rate, time cap, loss log and checkpoints."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from render.media.files import atomic_path
from render.tiny_prx.presets import Preset


def lr_at(step: int, total: int, base: float, warmup: int, time_frac: float = 0.0) -> float:
    """Linear warm-up, then cosine to 10%; under a time cap the cosine follows the clock when it
    would reach the cap before the last step, so a capped run still ends at a low rate."""
    if step < warmup:
        return base * (step + 1) / warmup
    prog = min(1.0, max((step - warmup) / max(1, total - warmup), time_frac))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))


class Checkpoint:
    """A phase's resumable state in one file: its modules, optimiser and generators, by name."""

    def __init__(self, path: Path, **parts):
        self.path, self.parts = path, parts

    def load(self, dev) -> tuple[int, list, float, str | None]:
        """Restore every part; returns (step, losses, seconds of training up to the checkpoint, the
        commit of the code that started the phase)."""
        st = torch.load(self.path, map_location=dev, weights_only=False)
        for name, obj in self.parts.items():
            if isinstance(obj, torch.Generator):
                obj.set_state(st[name].cpu())
            else:
                obj.load_state_dict(st[name])
        return st["step"], st["losses"], st.get("seconds", 0.0), st.get("code")

    def save(self, step: int, losses: list, seconds: float, code: str | None) -> None:
        """Write every part, atomically (a run killed while saving keeps the previous checkpoint)."""
        state = {
            name: obj.get_state() if isinstance(obj, torch.Generator) else obj.state_dict()
            for name, obj in self.parts.items()
        }
        with atomic_path(self.path) as tmp:
            torch.save({**state, "step": step, "losses": losses, "seconds": seconds, "code": code}, tmp)


def seconds_in(path: Path) -> float:
    """The training seconds a phase's checkpoint holds (0 without one): what a resumed run has spent."""
    if not path.is_file():
        return 0.0
    # mapped, not read: only the small "seconds" entry is touched, not the weights the phase loads later
    return float(torch.load(path, map_location="cpu", weights_only=False, mmap=True).get("seconds", 0.0))


class Deadline:
    """A wall-clock cap (None: no cap), less the seconds a resumed run `spent` before, and less a
    `reserve` share of the cap kept for what follows the capped work (a run's last checkpoint and
    saving), so that the whole run stays within the cap."""

    def __init__(self, minutes: float | None, spent: float = 0.0, reserve: float = 0.0):
        self.t_end = None if minutes is None else time.monotonic() + minutes * 60 * (1 - reserve) - spent

    def left(self) -> float:
        """Seconds left until the cap (infinite without one)."""
        return math.inf if self.t_end is None else self.t_end - time.monotonic()

    def clock(self, before: float = 0.0) -> Callable[[], float]:
        """A function giving the fraction of a phase's time that has passed: the `before` seconds it
        trained until it was resumed, plus those since now, over those and the time left (0 without a cap)."""
        if self.t_end is None:
            return lambda: 0.0
        t0 = time.monotonic()
        span = max(1e-6, before + self.t_end - t0)
        return lambda: (before + time.monotonic() - t0) / span


@dataclass
class Run:
    """What both phases of one training run share."""

    preset: Preset
    device: torch.device
    seed: int
    checkpoints: Path  # the folder of the phases' resumable state
    resume: bool
    log: Callable[[str], None]
    code: str | None = None  # the commit of the training code when the run started (see card.git_commit)

    @property
    def amp(self) -> bool:
        """bfloat16 autocast: as the preset says, or (None) where the device computes bfloat16 natively."""
        from render.tiny_prx.devices import native_bf16

        return native_bf16(self.device) if self.preset.amp is None else self.preset.amp


class PhaseLoop:
    """The loop both phases share: step count, learning rate and time cap, loss log, checkpoints.

    The phase takes one optimiser step per number `steps()` yields and hands its loss to
    `done()`; `record` turns a step's loss into what is kept until the next log line, and
    `summarise` makes one logged loss of those (None: nothing to log).
    """

    def __init__(
        self,
        name: str,
        run: Run,
        *,
        total: int,
        base_lr: float,
        warmup: int,
        optimizer: torch.optim.Optimizer,
        checkpoint: Checkpoint,
        deadline: Deadline,
        record: Callable[[int, torch.Tensor], object],
        summarise: Callable[[list], float | None],
        status: Callable[[], str] = lambda: "",
    ):
        self.name, self.run, self.total = name, run, total
        self.base_lr, self.warmup, self.optimizer = base_lr, warmup, optimizer
        self.checkpoint, self.deadline = checkpoint, deadline
        self.record, self.summarise, self.status = record, summarise, status
        self.step, self.losses, self.stopped = 0, [], "steps"
        self.seconds_before = 0.0  # the phase's training time before it was resumed
        self.code = run.code  # the commit of the code that started the phase (a resumed phase: as it was then)
        self._pending: list = []  # what `record` kept since the last log line

    def resume(self) -> None:
        """Continue from the phase's checkpoint, if the run resumes and there is one."""
        if self.run.resume and self.checkpoint.path.exists():
            self.step, self.losses, self.seconds_before, code = self.checkpoint.load(self.run.device)
            self.code = code or "unknown"
            self.run.log(f"[{self.name}] resumed at step {self.step}")

    def steps(self) -> Iterator[int]:
        """The number of each step still to take, its learning rate set, until done or out of time."""
        self._t0 = self._t_last = time.time()
        self._s_last = self.step
        self._elapsed = self.deadline.clock(self.seconds_before)
        while self.step < self.total:
            if self.deadline.left() <= 0:
                self.stopped = "time cap"
                break
            for group in self.optimizer.param_groups:
                group["lr"] = lr_at(self.step, self.total, self.base_lr, self.warmup, self._elapsed())
            yield self.step

    def progress(self) -> float:
        """How far the phase is, 0 to 1: the larger of its share of steps done and of its time (under a cap)."""
        return max(self.step / max(1, self.total), self._elapsed())

    def done(self, loss: torch.Tensor) -> None:
        """Count a finished step: keep its loss, log every `log_every` steps, save every `ckpt_every`."""
        p = self.run.preset
        self.step += 1
        self._pending.append(self.record(self.step, loss))
        if self.step % p.log_every == 0 or self.step == self.total:
            self._log_losses()
        if self.step % p.ckpt_every == 0 and self.step < self.total:
            self.checkpoint.save(self.step, self.losses, self.seconds(), self.code)

    def seconds(self) -> float:
        """The phase's training time so far, its time before a resume included."""
        return self.seconds_before + time.time() - self._t0

    def _log_losses(self) -> None:
        now = time.time()
        per_second = (self.step - self._s_last) / max(1e-9, now - self._t_last)
        value = self.summarise(self._pending)
        if value is not None:
            self.losses.append((self.step, value))
        loss = "-" if value is None else f"{value:.5f}"
        self.run.log(f"[{self.name}] step {self.step}/{self.total} loss {loss} {per_second:.2f} steps/s{self.status()}")
        self._t_last, self._s_last, self._pending = now, self.step, []

    def finish(self) -> tuple[int, str, float, list]:
        """Keep the losses since the last log line (a time-capped end), save the final checkpoint.

        Returns (steps done, what stopped the phase, seconds, losses)."""
        value = self.summarise(self._pending) if self._pending else None
        if value is not None:
            self.losses.append((self.step, value))
        self._pending = []
        seconds = self.seconds()
        self.checkpoint.save(self.step, self.losses, seconds, self.code)
        return self.step, self.stopped, seconds, self.losses


def optimiser_step(optimizer: torch.optim.Optimizer, model: torch.nn.Module, loss: torch.Tensor) -> None:
    """Backpropagate `loss` and take one step, with the gradient norm clipped to 1."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
