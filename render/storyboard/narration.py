"""Checks of what the narration refers to: the facts it inserts and the claims it states.

Both must be ones the chapter's kind defines (render/kinds/facts.py); anything else is a storyboard
problem at the beat's position, with the closest name and the kind's list.
"""

from __future__ import annotations

from collections.abc import Mapping

from render.storyboard.problems import Problem, suggest
from render.storyboard.schema import Storyboard

PLACEHOLDER_HELP = "a {fact} placeholder names one of its kind's facts (`noise2image kinds` lists them)"


def narration_problems(storyboard: Storyboard, kinds: Mapping) -> list[Problem]:
    """Unknown `{fact}` placeholders and claim names in every chapter's narration."""
    from render.kinds.facts import placeholders

    problems = []
    for i, chapter in enumerate(storyboard.chapters):
        kind = kinds[chapter.kind]
        facts, claims = sorted(kind.facts), sorted(kind.claims)
        for j, beat in enumerate(chapter.narration):
            beat_path = f"chapters[{i}].narration[{j}]"
            say_path = f"{beat_path}.say" if f"{beat_path}.say" in storyboard._value_marks else beat_path
            for name in dict.fromkeys(placeholders(beat.say)):
                if name not in kind.facts:
                    known = ", ".join(facts) if facts else "none"
                    problems.append(storyboard.problem(
                        say_path,
                        f"{{{name}}} is not a fact of {chapter.kind}{suggest(name, facts)} Its facts: {known}",
                    ))  # fmt: skip
            for k, name in enumerate(beat.claims):
                if name not in kind.claims:
                    known = ", ".join(claims) if claims else "none"
                    problems.append(storyboard.problem(
                        f"{beat_path}.claims[{k}]",
                        f"{name!r} is not a claim of {chapter.kind}{suggest(name, claims)} Its claims: {known}",
                    ))  # fmt: skip
    return problems
