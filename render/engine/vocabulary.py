"""What a model knows how to draw, declared in a small file beside its weights: `vocabulary.json`.

The embedded model was trained on a procedural world with a closed set of words (its shapes,
colours, sizes, positions, and the words that join them); `noise2image train-model` writes them
there. `check` reads the file (no torch, no tokenizer) and warns, at the prompt's position, about
words outside it, saying what the model will likely draw instead. A model without the file (a hub
pipeline, which knows open-ended text) gets no such warnings.

    {"model": "builtin:tiny-prx", "shapes": [...], "colours": [...], "sizes": [...],
     "positions": {"center": ["in the center", "in the middle"], ...}, "words": ["a", "an", ...],
     "synonyms": {"grey": "gray", "centre": "center"}}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

VOCABULARY_FILE = "vocabulary.json"


@dataclass(frozen=True)
class Vocabulary:
    """The words a model was trained on, by what they name."""

    model: str
    shapes: list[str]
    colours: list[str]
    sizes: list[str]
    positions: dict[str, list[str]]  # position name -> the phrases captions use for it
    words: list[str]  # the words that join them ("a", "on", "background", ...)
    synonyms: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def to_file(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.__dict__, indent=1) + "\n", encoding="utf-8")

    def known_words(self) -> set[str]:
        words = set(self.words) | set(self.colours) | set(self.sizes) | set(self.synonyms)
        words |= set(self.shapes) | {s + "s" for s in self.shapes}
        words |= {w for phrases in self.positions.values() for p in phrases for w in p.split()}
        return words

    def unknown(self, prompt: str) -> list[str]:
        """The prompt's words the model was never trained on, in order, each once."""
        known = self.known_words()
        return list(dict.fromkeys(w for w in re.findall(r"[a-z]+", prompt.lower()) if w not in known))

    def likely(self, prompt: str) -> str:
        """What the model will likely draw for a prompt: what it names that the model knows, and the
        rest left to chance."""
        words = [self.synonyms.get(w, w) for w in re.findall(r"[a-z]+", prompt.lower())]
        shape = next((s for s in self.shapes for w in words if w in (s, s + "s")), None)
        colours = [w for w in words if w in self.colours]
        size = next((w for w in words if w in self.sizes), None)
        text = " ".join(words)
        place = next((name for name, phrases in self.positions.items() for p in phrases if p in text), None)
        parts = [size or "", colours[0] if colours else "", shape or "shape"]
        what = " ".join(p for p in parts if p)
        where = f" {self.positions[place][0]}" if place else ""
        background = f" on {colours[1]}" if len(colours) > 1 else ""
        chance = [n for n, v in (("shape", shape), ("colour", colours), ("size", size), ("place", place)) if not v]
        chance += [] if background else ["background"]
        left = f" (its {_listed(chance)} left to chance)" if chance else ""
        return f"{'an' if what[0] in 'aeiou' else 'a'} {what}{where}{background}{left}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def load_vocabulary(folder: Path | None) -> Vocabulary | None:
    """The vocabulary beside a model's weights (None: the model declares none)."""
    if folder is None or not (Path(folder) / VOCABULARY_FILE).is_file():
        return None
    return Vocabulary.from_file(Path(folder) / VOCABULARY_FILE)
