"""Cache keys: sha256 of canonical JSON, and readable prefixes for the names they are stored under."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from render.paths import REPO_ROOT


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the text that cache keys hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_key(value: Any) -> str:
    """sha256 hex digest of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def slugify(text: str, limit: int = 40) -> str:
    """A file-name-safe readable prefix for cache folders."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "item"


def code_version(paths: Iterable[Path | str]) -> str:
    """A hash of source files and folders (relative paths and bytes): outputs of other code get other keys."""
    h = hashlib.sha256()
    for entry in paths:
        entry = Path(entry) if Path(entry).is_absolute() else REPO_ROOT / entry
        files = sorted(entry.rglob("*")) if entry.is_dir() else [entry]
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                name = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name
                h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]
