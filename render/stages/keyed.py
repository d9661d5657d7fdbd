"""Keyed outputs, the way dvc's stage cache keeps them: each output's name holds the key of its inputs,
so "is it made?" is "is it there?", and the missing ones are made under the stage's lock.

Every stage that stores outputs goes through `keyed`: all there? nothing to do (and no lock). Else
take the stage's lock (a second run waits, then finds what the first one made), remove what a killed
run left behind, list what is still missing, make it, and store each result atomically as it comes,
with a progress line per item. On Ctrl-C whatever was stored is kept, and the stage says how much.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from render.progress import Progress, say
from render.words import plural

if TYPE_CHECKING:
    from render.engine.cache import Cache

T = TypeVar("T")
R = TypeVar("R")


def keyed(
    items: Sequence[T],
    path_of: Callable[[T], Path],
    make: Callable[[list[T]], Iterable[tuple[T, R]]],
    *,
    store: Callable[[Path, R], object] | None = None,
    present: Callable[[T], bool] | None = None,
    lock: tuple[Cache, str] | None = None,
    leftovers: tuple[Path, str] | None = None,
    progress: tuple[str, str] | None = None,
    label: Callable[[T, R], str] = lambda item, result: str(item),
    interrupted: Callable[[int, int], str] | None = None,
) -> list[T]:
    """Make the outputs of `items` that are missing; returns the items made, in the order they were stored.

    `path_of(item)`: where its output goes (its name holds its key). `present(item)`: whether it is
    there and whole (default: its path exists). `make(missing)` yields (item, result) as each is done,
    in any order; `store(path, result)` writes the result there atomically (None: `make` stored it).
    `lock`: (cache, lock name) held while making (None: the caller holds one). `leftovers`: (folder,
    what) whose hidden entries, a killed run's temporary writes, are removed under the lock, saying
    "removed N unfinished {what}s". `progress`: (stage, unit) for a line per stored item, `label`
    describing it. `interrupted(stored, missing)`: the line said on Ctrl-C.
    """
    present = present or (lambda item: path_of(item).exists())
    if all(present(item) for item in items):
        return []
    cache, name = lock if lock is not None else (None, "")
    with cache.lock(name, say=say) if cache is not None else nullcontext():
        if leftovers is not None:
            remove_leftovers(*leftovers)
        missing = [item for item in items if not present(item)]  # another run may have made some meanwhile
        if not missing:
            return []
        made: list[T] = []
        results = iter(make(missing))
        bar = Progress(progress[0], len(missing), unit=progress[1]) if progress else None
        try:
            for item, result in results:
                if store is not None:
                    store(path_of(item), result)
                made.append(item)
                if bar is not None:
                    bar.done(label(item, result))
        except KeyboardInterrupt:
            if interrupted is not None:
                say(interrupted(len(made), len(missing)))
            raise
        finally:
            if bar is not None:
                bar.close()
            close = getattr(results, "close", None)
            if close is not None:
                close()  # Ctrl-C or a failure: the work still running stops now, not when it is collected
    return made


def remove_leftovers(folder: Path, what: str) -> int:
    """Remove the hidden entries of `folder` (temporary writes of a killed run); call only under the lock."""
    if not folder.is_dir():
        return 0
    found = [p for p in folder.iterdir() if p.name.startswith(".")]
    for path in found:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if found:
        say(f"noise2image: removed {plural(len(found), f'unfinished {what}')} left by an interrupted run")
    return len(found)
