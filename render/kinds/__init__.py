"""The chapter kinds: one module each, and the registry built from them.

`KINDS` maps a kind's name to its `Kind` (render/kinds/base.py), in the order of the guide "From
Noise to Image" (each kind's `order`). The registry finds the kinds itself: every module of this
package that defines a `Kind` subclass with a `name` contributes one, so adding a kind is one module
here and one scene module in scenes/, and nothing else names it. A kind defined anywhere else is
registered with `register(kind)` before the storyboard is loaded.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from render.kinds.base import Kind

KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make `kind` known to the storyboard, the planner, the analysis and the clip renderer."""
    if kind.chapter.model_fields["kind"].annotation.__args__ != (kind.name,):  # type: ignore[union-attr]
        raise ValueError(f"kind {kind.name!r}: its chapter model must declare kind: Literal[{kind.name!r}]")
    KINDS[kind.name] = kind
    return kind


def _shipped() -> list[Kind]:
    """One instance of every kind defined in this package's modules, in guide order."""
    found = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Kind) and cls.__module__ == module.__name__ and "name" in vars(cls):
                found.append(cls())
    return sorted(found, key=lambda kind: (kind.order, kind.name))


for _kind in _shipped():
    register(_kind)
