"""Text mobjects kept between renders.

Manim makes a `Text` by having Pango write an SVG file, then parsing that file into glyph outlines:
about 50 ms per line of text, for every text of every clip, every time a clip is rendered (Manim
keeps its SVG files in the render's media folder, which is a temporary one for each clip). A text
made once is the same mobject every time it is asked for with the same arguments, Manim, Pango and
fonts, so `made(Text, ...)` keeps what it made, pickled, in the folder named by N2I_TEXT_CACHE
(the clips stage sets it: `cache/text/`), and loads it from there next time (a few
milliseconds): the same points and colours, so the same frames. Without N2I_TEXT_CACHE it makes the
text as Manim does.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

from render.paths import FONT_DIR

TEXT_CACHE_ENV = "N2I_TEXT_CACHE"

T = TypeVar("T")


@functools.cache
def _makers() -> str:
    """What a text's outlines depend on besides its arguments: Manim, ManimPango (Pango and Cairo come
    with it), numpy (the pickled arrays) and the shipped font files' bytes."""
    h = hashlib.sha256()
    for name in ("manim", "manimpango", "numpy"):
        h.update(f"{name}={version(name)}\0".encode())
    for path in sorted(FONT_DIR.glob("*.[ot]tf")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def text_key(cls: type, args: tuple, kwargs: dict[str, Any]) -> str:
    """The cache key of `cls(*args, **kwargs)`."""
    call = repr((cls.__module__, cls.__qualname__, args, sorted(kwargs.items())))
    return hashlib.sha256(f"{_makers()}\0{call}".encode()).hexdigest()


def made(cls: type[T], *args: Any, **kwargs: Any) -> T:
    """`cls(*args, **kwargs)` (a Manim Text or MarkupText), from the text cache when it has it."""
    folder = os.environ.get(TEXT_CACHE_ENV)
    if not folder:
        return cls(*args, **kwargs)
    path = Path(folder) / f"{text_key(cls, args, kwargs)[:32]}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        path.unlink(missing_ok=True)  # unreadable (cut short, or from other code): made again below
    mob = cls(*args, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(pickle.dumps(mob, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, path)  # whole or not at all: another clip may be reading it
    return mob
