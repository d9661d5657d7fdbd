"""The verify stage: every claim the narration states, as measured in the analysed chapters.

`noise2image verify STORYBOARD` generates and analyses what is missing, then prints one row per
stated claim: chapter, beat, claim, the measured value, the rule and whether it holds ("cannot
check" where the model cannot give the fact). `render` prints the failures as warnings before it
renders clips, and stops there with `--strict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from render.session import Session
from render.stages.plan import ChapterPlan
from render.words import plural


@dataclass(frozen=True)
class CheckedClaim:
    """One row of the verify table."""

    chapter: str
    beat: int
    claim: str
    says: str
    value: Any
    rule: str
    status: str


def checked_claims(session: Session, chapters: list[ChapterPlan]) -> list[CheckedClaim]:
    """The stated claims of the analysed chapters, in storyboard order."""
    rows = []
    for chapter in chapters:
        info = session.chapter_info(chapter)
        if info is None:
            raise RuntimeError(f"chapter {chapter.id} is not analysed yet")
        for c in info.get("claims", []):
            rows.append(CheckedClaim(chapter.id, c["beat"], c["claim"], c["says"], c["value"], c["rule"], c["status"]))
    return rows


def shown_value(value: Any) -> str:
    """A measured value, short: numbers to 3 significant digits, lists by their items."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "[" + ", ".join(shown_value(v) for v in value) + "]"
    return str(value)


def claims_table(rows: list[CheckedClaim]) -> str:
    """The verify table, then a count per result."""
    head = ("chapter", "beat", "claim", "measured", "rule", "result")
    body = [(r.chapter, str(r.beat), r.claim, shown_value(r.value), r.rule, r.status) for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [head, *body]]
    counts = {s: sum(r.status == s for r in rows) for s in ("holds", "fails", "cannot check")}
    lines.append(
        f"{plural(len(rows), 'claim')}: {counts['holds']} hold, {counts['fails']} fail, "
        f"{counts['cannot check']} cannot check"
    )
    return "\n".join(lines)


def failures(rows: list[CheckedClaim], strict: bool = False) -> list[CheckedClaim]:
    """The claims that fail (with `strict`, also those that cannot be checked)."""
    bad = ("fails", "cannot check") if strict else ("fails",)
    return [r for r in rows if r.status in bad]


def warning_lines(rows: list[CheckedClaim]) -> list[str]:
    """One line per failed claim, for render's warnings."""
    return [
        f"warning: {r.chapter}, beat {r.beat}: claim {r.claim} {r.status} "
        f"(measured {shown_value(r.value)}, rule {r.rule}): {r.says}"
        for r in rows
    ]
