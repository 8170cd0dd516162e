"""Marks waiting for a tutor, and feedback pages that say so.

nbgrader's feedback shows a written answer nobody has marked yet as "Written response (Score:
0.0 / 2.0)", which a learner reads as a fail. The tutor chooses (``qilab course feedback``):

- by default a learner's page is **held back** while any of their written answers is waiting
  for a tutor, and the command lists who was held back;
- with ``--provisional`` the page is written, and :func:`label_page` marks it
  "Provisional — awaiting tutor marking": the total is called provisional and each unmarked
  answer says it is waiting, instead of showing 0.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from qilab.escalator.gradebook import table_rows
from qilab.theme import COLOURS

from .course import Course

PROVISIONAL = "Provisional — awaiting tutor marking"


@dataclass(frozen=True)
class PendingCell:
    notebook: str
    cell: str
    max_score: float


def pending_cells(course: Course, assignment: str) -> dict[str, list[PendingCell]]:
    """learner -> the cells of their ``assignment`` submission waiting for a tutor."""
    from .results import load_gradebook

    grades = load_gradebook(course).grades
    waiting = grades[(grades["assignment"] == assignment) & grades["needs_manual_grade"]]
    found: dict[str, list[PendingCell]] = {}
    for row in table_rows(waiting):
        points = float(row.max_score) if row.max_score == row.max_score else 0.0
        found.setdefault(str(row.learner), []).append(PendingCell(row.notebook, row.cell, points))
    return found


def _after_first_group(match: re.Match[str], text: str) -> str:
    """``re.sub``'s replacement: the match's first group, then *text* (taken literally)."""
    return match.group(1) + text


def label_page(page: str, cells: list[PendingCell]) -> str:
    """Label a feedback page whose marks are provisional (see the module docstring)."""
    if not cells:
        return page
    marks = sum(c.max_score for c in cells)
    banner = (
        f'<p class="qilab-provisional" style="border:2px solid {COLOURS["concern"]};padding:.5em">'
        f"<strong>{PROVISIONAL}.</strong> {len(cells)} written answer(s) worth {marks:g} marks "
        "have not been marked yet; the total below counts them as 0 until your tutor marks "
        "them.</p>"
    )
    page, found = re.subn(
        r"(<h4>[^<]*?)\(Score: ([^)<]*)\)(</h4>)",
        lambda m: f"{m.group(1)}(provisional score: {m.group(2)}){m.group(3)}{banner}",
        page,
        count=1,
    )
    if not found:  # a custom template: put the banner at the top of the body
        page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, page, count=1)
    for cell in cells:
        gid = re.escape(html.escape(cell.cell, quote=True))
        waiting = f"awaiting tutor marking, {cell.max_score:g} marks"
        in_contents = functools.partial(_after_first_group, text=f"({waiting})")
        page = re.sub(rf'(<a href="#{gid}">[^<]*</a>\s*)\(Score: [^)<]*\)', in_contents, page)
        in_cell = functools.partial(_after_first_group, text=waiting[0].upper() + waiting[1:])
        page = re.sub(
            rf'(<a name="{gid}"></a>.*?)Score: [0-9.]+ / [0-9.]+',
            in_cell,
            page,
            count=1,
            flags=re.S,
        )
    return page
