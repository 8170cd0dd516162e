"""The case-study index, ``curriculum/cases/cases.yaml``: which cases exist and what they show.

The index is the one place a case is registered: the gallery, ``qilab cases``, the static build
and the curriculum's links all read it, so a case added to the folder but not to the index is
never served by accident. Mistakes in the file are reported by entry and field, with the fix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qilab import paths
from qilab.errors import QilabError

INDEX_NAME = "cases.yaml"
LEVELS: dict[str, str] = {
    "foundation": "Foundation",
    "practitioner": "Practitioner",
    "advanced": "Advanced practitioner",
}
THEMES: dict[str, str] = {
    "systems": "Systems thinking",
    "measurement": "Measurement for improvement",
    "pdsa": "PDSA and the Model for Improvement",
    "codesign": "Co-design and co-production",
}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: Words `qilab cases` reads as commands, so no case may be called by them.
RESERVED_SLUGS = {"build"}


class CaseIndexError(QilabError):
    """``cases.yaml`` is missing or says something impossible."""


@dataclass(frozen=True)
class Thumbnail:
    """How to draw a case's gallery thumbnail from one of the shipped data sets.

    The series is ``y`` (summed, then divided by summed ``n`` when ``n`` is given; otherwise
    averaged) per ``x``, keeping only rows matching ``where``; points from ``change`` onwards
    are drawn in the improvement colour. A survey's answers are words, not numbers: with
    ``equals`` the series is the share of rows per ``x`` whose ``y`` is that answer (blank
    answers left out), e.g. ``y: asked_what_matters, equals: "Yes"``.
    """

    dataset: str
    x: str
    y: str
    n: str | None = None
    where: dict[str, str] = field(default_factory=dict)
    change: str | None = None
    equals: str | None = None


@dataclass(frozen=True)
class Case:
    """One case study: its notebook and what the gallery says about it."""

    slug: str
    title: str
    level: str
    theme: str
    module: str
    summary: str
    thumbnail: Thumbnail
    folder: Path

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.slug}.ipynb"

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    @property
    def theme_label(self) -> str:
        return THEMES[self.theme]


def cases_dir() -> Path:
    """``curriculum/cases/`` of the course being served."""
    return paths.curriculum_dir() / "cases"


def read_index(folder: Path | None = None) -> dict[str, Any]:
    """The parsed ``cases.yaml`` (a mapping), or a :class:`CaseIndexError` saying how to fix it."""
    folder = folder or cases_dir()
    index = folder / INDEX_NAME
    if not index.is_file():
        raise CaseIndexError(
            f"{index} is missing: restore it with `git checkout -- curriculum/cases/` "
            "(it lists the case studies to serve)."
        )
    try:
        raw = yaml.safe_load(index.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseIndexError(f"{index} is not valid YAML ({exc}): fix the line it names.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list) or not raw["cases"]:
        raise CaseIndexError(f"{index} must have a non-empty `cases:` list: see its header.")
    return raw


def _field(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CaseIndexError(f"{where}: `{key}` is missing or empty: give it a line of text.")
    return value.strip()


def _thumbnail(raw: Any, where: str) -> Thumbnail:
    if not isinstance(raw, dict):
        raise CaseIndexError(
            f"{where}: `thumbnail` must be a mapping with dataset, x and y "
            "(see the other cases in cases.yaml)."
        )
    where_ = raw.get("where") or {}
    if not isinstance(where_, dict):
        raise CaseIndexError(f"{where}: `thumbnail.where` must map column names to values.")
    return Thumbnail(
        dataset=_field(raw, "dataset", f"{where} thumbnail"),
        x=_field(raw, "x", f"{where} thumbnail"),
        y=_field(raw, "y", f"{where} thumbnail"),
        n=raw.get("n"),
        where={str(k): str(v) for k, v in where_.items()},
        change=str(raw["change"]) if raw.get("change") else None,
        equals=str(raw["equals"]) if raw.get("equals") is not None else None,
    )


def parse_case(entry: Any, folder: Path, position: int) -> Case:
    """Check one ``cases:`` entry and return it as a :class:`Case`."""
    where = f"{folder / INDEX_NAME}, case {position}"
    if not isinstance(entry, dict):
        raise CaseIndexError(f"{where} is not a mapping: write it as `- slug: ...` with fields.")
    slug = _field(entry, "slug", where)
    where = f"{folder / INDEX_NAME}, case '{slug}'"
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise CaseIndexError(
            f"{where}: slug must be lower-case words joined by hyphens (e.g. 'winter-flow'), "
            f"and not {', '.join(sorted(RESERVED_SLUGS))}."
        )
    level, theme, module = (_field(entry, k, where) for k in ("level", "theme", "module"))
    if level not in LEVELS:
        raise CaseIndexError(f"{where}: level '{level}' is not one of {', '.join(LEVELS)}.")
    if theme not in THEMES:
        raise CaseIndexError(f"{where}: theme '{theme}' is not one of {', '.join(THEMES)}.")
    if module != f"{level}_{theme}":
        raise CaseIndexError(
            f"{where}: module '{module}' does not match its level and theme: "
            f"use '{level}_{theme}' (module ids are level_theme)."
        )
    case = Case(
        slug=slug,
        title=_field(entry, "title", where),
        level=level,
        theme=theme,
        module=module,
        summary=_field(entry, "summary", where),
        thumbnail=_thumbnail(entry.get("thumbnail"), where),
        folder=folder,
    )
    if not case.notebook.is_file():
        raise CaseIndexError(
            f"{where}: its notebook {case.notebook} is missing: add it, or remove the entry."
        )
    return case


def load_cases(folder: Path | None = None) -> list[Case]:
    """Every case in the index, in gallery order.

    Parameters
    ----------
    folder : Path, optional
        A folder holding ``cases.yaml`` and the case notebooks (default ``curriculum/cases``).

    Returns
    -------
    list of Case

    Examples
    --------
    >>> from qilab.cases import load_cases
    >>> cases = load_cases()
    >>> all(case.notebook.is_file() for case in cases)
    True
    >>> sorted({case.level for case in cases}) <= ["advanced", "foundation", "practitioner"]
    True
    """
    folder = (folder or cases_dir()).resolve()
    raw = read_index(folder)
    cases = [parse_case(entry, folder, i) for i, entry in enumerate(raw["cases"], start=1)]
    seen: set[str] = set()
    for case in cases:
        if case.slug in seen:
            raise CaseIndexError(
                f"{folder / INDEX_NAME}: slug '{case.slug}' appears twice: rename one."
            )
        seen.add(case.slug)
    return cases


def find_case(name: str, cases: list[Case]) -> Case:
    """The case called *name* (its slug, or its notebook's file name), or a helpful error.

    Examples
    --------
    >>> from qilab.cases import find_case, load_cases
    >>> find_case("winter-discharge-to-assess.ipynb", load_cases()).slug
    'winter-discharge-to-assess'
    """
    slug = name.strip().removesuffix(".ipynb").strip("/")
    for case in cases:
        if case.slug == slug:
            return case
    slugs = [case.slug for case in cases]
    close = difflib.get_close_matches(slug, slugs, n=3, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise QilabError(
        f"No case study called '{name}'.{hint} "
        f"Run `qilab cases --list` to see them all ({len(slugs)} cases)."
    )
