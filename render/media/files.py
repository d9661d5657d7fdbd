"""Writing files so that a reader never sees half of one, and reading back what was written.

Every output goes to a temporary sibling (a hidden name in the same folder) and is renamed into
place, so a file or folder under its final name is complete; a killed writer leaves only a hidden
temporary behind, which the next writer of that folder may remove.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _hidden_sibling(path: Path, suffix: str = "") -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{suffix}")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary name beside `path` (same suffix) and rename it into place when the block ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _hidden_sibling(path, f".tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write text (UTF-8) or bytes to `path` atomically. Returns `path`."""
    with atomic_path(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
    return Path(path)


@contextmanager
def atomic_folder(folder: Path, *, replace: bool = True) -> Iterator[Path]:
    """Yield an empty hidden sibling folder to fill; when the block ends it becomes `folder`.

    An existing `folder` is replaced (`replace=True`), or kept and the new one discarded
    (`replace=False`: a concurrent writer of the same content finished first). The temporary
    folder is made with mkdir, so its permissions follow the umask (mkdtemp's are private).
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = _hidden_sibling(folder)
    tmp.mkdir()
    try:
        yield tmp
        if not folder.exists():
            os.replace(tmp, folder)
        elif replace:
            old = _hidden_sibling(folder, ".old")
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fsync_write(path: Path, write) -> None:
    """Open `path` for binary writing, call `write(file)`, and flush it to disk before returning."""
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
