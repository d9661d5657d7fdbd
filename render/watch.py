"""`noise2image preview --watch`: the contact sheet made again each time the storyboard is saved.

`watch` builds once, then again after every change it is told of, until the changes end or `stop`
is set. The preview stage caches each chapter under a key of its inputs, so a rebuild redoes only
the chapters whose text, parameters or timing changed. A storyboard that does not validate prints
its problems, and the next save tries again; Ctrl-C ends the command like any other (exit 130).

Changes come from `file_changes`, which polls the file's size, modification time and inode a few
times a second. Polling one file costs nothing, and it sees every way editors save: in place, or
by writing a new file and renaming it over the old one (which a watch on the old file misses),
on local disks and on network or container mounts where file system events do not arrive.
A change is reported once the file has stayed the same for one interval, so a save written in
several pieces is read whole. Tests feed `watch` their own changes, with no timing involved.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from render.errors import UserFacingError

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class PreviewResult:
    """What a preview made (`run.make_preview`): the contact sheet, how many chapters it shows and
    how many of those were previewed again (the others came from the cache), and the seconds it took."""

    sheet: Path
    chapters: int
    redone: int
    seconds: float


def file_changes(path: Path, stop: threading.Event, interval: float = POLL_SECONDS) -> Iterator[None]:
    """Yields each time `path` has changed and then stayed the same for `interval` seconds; ends when
    `stop` is set. The file as it is now is the starting point (not when iteration starts), so a
    save made during a first build is still reported."""
    seen = _stamp(path)

    def changes() -> Iterator[None]:
        nonlocal seen
        previous = seen
        while not stop.wait(interval):
            stamp = _stamp(path)
            if stamp != seen and stamp == previous:  # changed, and settled for one interval
                seen = stamp
                yield
            previous = stamp

    return changes()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is saved (None: there is no file now)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _content(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def watch(
    path: Path,
    rebuild: Callable[[], PreviewResult],
    stop: threading.Event,
    changes: Iterable[object],
    say: Callable[[str], None] | None = None,
) -> None:
    """Build now, then after each item of `changes` (one per save), until they end or `stop` is set.

    A save that leaves the file as it was at the last successful build only says so; after a
    failed build, every save tries again. `rebuild` returns what it made; a storyboard that does not validate,
    or a build that fails with a message (a scene, the model, a folder), is reported and waited out.
    """
    from render.session import say as default_say

    say = say or default_say
    built: bytes | None = None  # the file's bytes at the last build that succeeded
    first = True
    for _ in _now_then(changes):
        if stop.is_set():
            return
        content = _content(path)
        if not first and content is not None and content == built:
            say(f"preview: {path} saved without changes; the contact sheet is up to date")
            continue
        say(f"preview: building the contact sheet of {path}" if first else f"preview: {path} changed; rebuilding")
        first = False
        built = content if _build(rebuild, say) else None
        if not stop.is_set():
            say(f"preview: watching {path} for changes (Ctrl-C stops)")


def _now_then(changes: Iterable[object]) -> Iterator[object]:
    yield None
    yield from changes


def _build(rebuild: Callable[[], PreviewResult], say: Callable[[str], None]) -> bool:
    """One build, its outcome said in one line (or the storyboard's problems); True if it succeeded."""
    from render.engine.models import ModelError
    from render.storyboard import StoryboardError

    try:
        result = rebuild()
    except StoryboardError as e:
        say(str(e))
        say("preview: not rebuilt; save the storyboard again once it is fixed")
        return False
    except (ModelError, UserFacingError) as e:
        say(f"noise2image: {e}")
        say("preview: not rebuilt; save the storyboard again to retry")
        return False
    except OSError as e:
        if not e.filename:
            raise
        say(f"noise2image: {e.strerror or e}: {e.filename}")
        say("preview: not rebuilt; save the storyboard again to retry")
        return False
    chapters = f"{result.chapters} chapter{'' if result.chapters == 1 else 's'}"
    say(f"preview ready: {result.sheet} ({chapters}, {result.redone} redone, {result.seconds:.1f} s)")
    return True
