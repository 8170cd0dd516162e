"""Validate the escalator manifest (``curriculum/escalator.yaml``) before anything trusts it.

An academy edits the manifest by hand, so validation collects *every* problem at once, each
with where it is (``modules[3].outcomes[1].text``), what is wrong and how to fix it, rather than
stopping at the first. :func:`validate` works on the parsed YAML (plain dicts and lists) and
never touches the disk; file checks live in :mod:`qilab.curriculum.check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qilab.levels import LEVELS, THEMES  # re-exported: the manifest's vocabulary

SCHEMA_VERSION = 1

MIN_OUTCOMES, MAX_OUTCOMES = 3, 5
MIN_MINUTES, MAX_MINUTES = 30, 60

#: Observable (Bloom-style) verbs an outcome may start with: each names something a tutor can
#: see a learner do, so an assignment can test it.
OBSERVABLE_VERBS: frozenset[str] = frozenset(
    [
        "analyse",
        "apply",
        "appraise",
        "argue",
        "assess",
        "calculate",
        "choose",
        "classify",
        "compare",
        "construct",
        "contrast",
        "create",
        "critique",
        "decide",
        "define",
        "demonstrate",
        "describe",
        "design",
        "distinguish",
        "draw",
        "estimate",
        "evaluate",
        "explain",
        "facilitate",
        "identify",
        "interpret",
        "judge",
        "justify",
        "label",
        "list",
        "map",
        "match",
        "measure",
        "name",
        "organise",
        "outline",
        "plan",
        "predict",
        "prioritise",
        "produce",
        "rank",
        "recognise",
        "recommend",
        "select",
        "state",
        "summarise",
        "test",
        "use",
        "write",
    ]
)
#: Verbs that name an inner state nobody can observe; the fix suggests an observable one.
VAGUE_VERBS: dict[str, str] = {
    "understand": "explain",
    "know": "state",
    "appreciate": "explain",
    "learn": "describe",
    "be": "describe",
    "become": "describe",
    "grasp": "explain",
    "realise": "explain",
    "see": "identify",
}

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is, and what to do about it."""

    where: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}. Fix: {self.fix}"


def module_id(level: str, theme: str) -> str:
    """The fixed id of the module at a level and theme.

    Examples
    --------
    >>> module_id("foundation", "pdsa")
    'foundation_pdsa'
    """
    return f"{level}_{theme}"


def outcome_verb(text: str) -> str:
    """The first word of a learning outcome, lower-cased, which should be an observable verb.

    Examples
    --------
    >>> outcome_verb("Calculate the median of a run chart.")
    'calculate'
    """
    words = re.findall(r"[A-Za-z']+", text)
    return words[0].lower() if words else ""


def validate(raw: Any) -> list[Problem]:
    """Every problem with a parsed manifest; an empty list means it is valid.

    Parameters
    ----------
    raw
        The manifest as ``yaml.safe_load`` returns it.

    Returns
    -------
    list of Problem
        In document order, each saying where, what and how to fix it.

    Examples
    --------
    >>> [str(p) for p in validate({"schema_version": 1})][0]
    'title: missing. Fix: add a title: line (for example, title: QI Lab skills escalator)'
    """
    if not isinstance(raw, dict):
        return [
            Problem(
                "escalator.yaml",
                f"expected a mapping of keys (title, levels, themes, modules), found {_kind(raw)}",
                "start from the committed curriculum/escalator.yaml and edit it",
            )
        ]
    v = _Validator()
    v.top(raw)
    return v.problems


class _Validator:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, fix: str) -> None:
        self.problems.append(Problem(where, message, fix))

    # ---------------------------------------------------------------- top level
    def top(self, raw: dict[str, Any]) -> None:
        known = {
            "schema_version", "title", "pass_mark", "outcome_minimum", "levels", "themes",
            "modules",
        }  # fmt: skip
        for key in raw:
            if key not in known:
                self.add(
                    str(key),
                    "unknown key",
                    f"remove it, or correct its spelling (known keys: {', '.join(sorted(known))})",
                )
        version = raw.get("schema_version")
        if version != SCHEMA_VERSION:
            self.add(
                "schema_version",
                f"is {version!r}, this QI Lab reads version {SCHEMA_VERSION}",
                f"set schema_version: {SCHEMA_VERSION}",
            )
        if not _text(raw.get("title")):
            self.add(
                "title",
                "missing",
                "add a title: line (for example, title: QI Lab skills escalator)",
            )
        if "pass_mark" in raw:
            self.pass_mark("pass_mark", raw["pass_mark"])
        if "outcome_minimum" in raw:
            self.minimum("outcome_minimum", raw["outcome_minimum"])
        self.named_list(raw, "levels", LEVELS)
        self.named_list(raw, "themes", THEMES)
        modules = raw.get("modules")
        if not isinstance(modules, list) or not modules:
            self.add(
                "modules",
                "missing or empty",
                "add a modules: list with one entry per level and theme",
            )
            return
        self.modules(modules)

    def pass_mark(self, where: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
            self.add(
                where,
                f"is {value!r}, a percentage between 0 and 100 was expected",
                "use a number such as 50 (meaning 50 % of the assignment's marks)",
            )

    def minimum(self, where: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            self.add(
                where,
                f"is {value!r}, a percentage from 0 to 100 was expected",
                "use a number such as 40 (a learner needs 40 % of the marks tagged with each "
                "outcome), or remove it for no minimum",
            )

    def named_list(self, raw: dict[str, Any], key: str, expected: tuple[str, ...]) -> None:
        items = raw.get(key)
        if not isinstance(items, list):
            self.add(key, "missing", f"add {key}: with entries for {', '.join(expected)}")
            return
        seen = []
        for i, item in enumerate(items):
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                self.add(
                    where,
                    f"expected id, title and description, found {_kind(item)}",
                    "write it as a mapping: - id: …, title: …, description: …",
                )
                continue
            ident = item.get("id")
            if ident not in expected:
                self.add(
                    f"{where}.id",
                    f"{ident!r} is not one of {', '.join(expected)}",
                    f"use one of the fixed {key} ids; other tools rely on them",
                )
            seen.append(ident)
            for field in ("title", "description"):
                if not _text(item.get(field)):
                    self.add(f"{where}.{field}", "missing or empty", f"add a {field}")
        missing = [name for name in expected if name not in seen]
        if missing:
            self.add(
                key,
                f"missing {', '.join(missing)}",
                f"add an entry for each of {', '.join(missing)}",
            )
        if len(set(map(str, seen))) != len(seen):
            self.add(key, "an id appears twice", "keep one entry per id")

    # ---------------------------------------------------------------- modules
    def modules(self, modules: list[Any]) -> None:
        ids: list[str] = []
        outcome_ids: set[str] = set()
        levels_by_id: dict[str, int] = {}
        for i, module in enumerate(modules):
            where = f"modules[{i}]"
            if not isinstance(module, dict):
                self.add(
                    where,
                    f"expected a module mapping, found {_kind(module)}",
                    "copy an existing module entry and edit it",
                )
                continue
            ident = module.get("id")
            label = f"{where} ({ident})" if isinstance(ident, str) else where
            self.module(label, module, outcome_ids)
            if isinstance(ident, str):
                if ident in ids:
                    self.add(f"{label}.id", "appears twice", "give every module its own id")
                ids.append(ident)
                if module.get("level") in LEVELS:
                    levels_by_id[ident] = LEVELS.index(module["level"])
        for level in LEVELS:
            for theme in THEMES:
                if module_id(level, theme) not in ids:
                    self.add(
                        "modules",
                        f"no module {module_id(level, theme)}",
                        f"add the {level} module for the {theme} theme; every level has all "
                        "four themes",
                    )
        for i, module in enumerate(modules):
            if isinstance(module, dict):
                self.prerequisites(i, module, set(ids), levels_by_id)
        self.cycles(modules)

    def module(self, where: str, m: dict[str, Any], outcome_ids: set[str]) -> None:
        known = {
            "id", "title", "level", "theme", "outcomes", "prerequisites", "minutes", "lesson",
            "simulations", "datasets", "assignment", "case_study", "sources", "pass_mark",
            "outcome_minimum",
        }  # fmt: skip
        for key in m:
            if key not in known:
                self.add(
                    f"{where}.{key}",
                    "unknown key",
                    f"remove it or correct its spelling (known: {', '.join(sorted(known))})",
                )
        ident, level, theme = m.get("id"), m.get("level"), m.get("theme")
        if not isinstance(ident, str) or not ID_PATTERN.match(ident):
            self.add(
                f"{where}.id",
                f"{ident!r} is not a valid id",
                "use lower-case letters, digits and underscores, as {level}_{theme}",
            )
        if level not in LEVELS:
            self.add(
                f"{where}.level", f"{level!r} is not a level", f"use one of {', '.join(LEVELS)}"
            )
        if theme not in THEMES:
            self.add(
                f"{where}.theme", f"{theme!r} is not a theme", f"use one of {', '.join(THEMES)}"
            )
        fits = isinstance(ident, str) and level in LEVELS and theme in THEMES
        core = module_id(str(level), str(theme))
        if fits and ident != core and not str(ident).startswith(core + "_"):
            self.add(
                f"{where}.id",
                f"does not match its level and theme (expected {core} or {core}_<topic>)",
                f"rename it {core} (or {core}_<topic> for an extra module), or correct "
                "its level and theme",
            )
        if not _text(m.get("title")):
            self.add(f"{where}.title", "missing", "add a short title learners will see")
        self.outcomes(where, ident, m.get("outcomes"), outcome_ids)
        minutes = m.get("minutes")
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int)
            or not (MIN_MINUTES <= minutes <= MAX_MINUTES)
        ):
            self.add(
                f"{where}.minutes",
                f"is {minutes!r}; a lesson should take {MIN_MINUTES}-{MAX_MINUTES} minutes",
                f"set a whole number of minutes from {MIN_MINUTES} to {MAX_MINUTES}, or split "
                "the module",
            )
        lesson = m.get("lesson")
        if not _text(lesson) or not str(lesson).endswith(".ipynb") or str(lesson).startswith("/"):
            self.add(
                f"{where}.lesson",
                f"is {lesson!r}",
                "give the notebook path relative to curriculum/, e.g. foundation/pdsa.ipynb",
            )
        self.names(
            f"{where}.simulations",
            m.get("simulations"),
            "simulation class names, e.g. [RedBeadsApp]",
            allow_empty=False,
        )
        self.names(
            f"{where}.datasets",
            m.get("datasets"),
            "qilab.datasets names, e.g. [ward_falls]",
            allow_empty=True,
        )
        assignment = m.get("assignment")
        if not _text(assignment):
            self.add(
                f"{where}.assignment",
                "missing",
                f"name the nbgrader assignment; by convention it is the module id ({ident})",
            )
        elif isinstance(ident, str) and assignment != ident:
            self.add(
                f"{where}.assignment",
                f"is {assignment!r}, not the module id {ident!r}",
                f"set assignment: {ident} (one assignment per module, named after it)",
            )
        case = m.get("case_study")
        if case is not None and (
            not _text(case) or not str(case).endswith(".ipynb") or "/" in str(case)
        ):
            self.add(
                f"{where}.case_study",
                f"is {case!r}",
                "give a notebook file name in curriculum/cases/ (e.g. pincer.ipynb) or null",
            )
        sources = m.get("sources")
        if not isinstance(sources, list) or not sources:
            self.add(
                f"{where}.sources",
                "missing or empty",
                "cite at least one source in full (authors, title, publisher or journal, year)",
            )
        else:
            for j, source in enumerate(sources):
                if not _text(source) or not re.search(r"(19|20)\d\d", str(source)):
                    self.add(
                        f"{where}.sources[{j}]",
                        f"{source!r} is not a full citation",
                        "write authors, title, publisher or journal and year",
                    )
        if "pass_mark" in m:
            self.pass_mark(f"{where}.pass_mark", m["pass_mark"])
        if "outcome_minimum" in m:
            self.minimum(f"{where}.outcome_minimum", m["outcome_minimum"])

    def outcomes(self, where: str, ident: Any, outcomes: Any, seen: set[str]) -> None:
        where = f"{where}.outcomes"
        if not isinstance(outcomes, list) or not outcomes:
            self.add(
                where,
                "missing",
                f"list {MIN_OUTCOMES}-{MAX_OUTCOMES} learning outcomes as "
                f"- id: {ident}.1 / text: <observable verb> …",
            )
            return
        if not MIN_OUTCOMES <= len(outcomes) <= MAX_OUTCOMES:
            self.add(
                where,
                f"has {len(outcomes)} outcomes",
                f"keep {MIN_OUTCOMES}-{MAX_OUTCOMES}: merge or split outcomes",
            )
        for n, outcome in enumerate(outcomes, start=1):
            here = f"{where}[{n - 1}]"
            if not isinstance(outcome, dict):
                self.add(
                    here,
                    f"expected id and text, found {_kind(outcome)}",
                    f"write - id: {ident}.{n} / text: …",
                )
                continue
            expected = f"{ident}.{n}"
            if outcome.get("id") != expected:
                self.add(
                    f"{here}.id",
                    f"is {outcome.get('id')!r}, expected {expected!r}",
                    "number outcomes {module id}.1, .2, … in order",
                )
            elif expected in seen:
                self.add(f"{here}.id", "appears twice", "give each outcome its own number")
            seen.add(str(outcome.get("id")))
            for key in outcome:
                if key not in ("id", "text", "minimum"):
                    self.add(
                        f"{here}.{key}",
                        "unknown key",
                        "an outcome has id, text and (optionally) minimum",
                    )
            if "minimum" in outcome:
                self.minimum(f"{here}.minimum", outcome["minimum"])
            text = outcome.get("text")
            if not _text(text):
                self.add(f"{here}.text", "missing", "write what the learner will be able to do")
                continue
            verb = outcome_verb(str(text))
            if verb in VAGUE_VERBS:
                self.add(
                    f"{here}.text",
                    f"starts with '{verb}', which nobody can observe",
                    f"start with an observable verb such as '{VAGUE_VERBS[verb].capitalize()}'",
                )
            elif verb not in OBSERVABLE_VERBS:
                self.add(
                    f"{here}.text",
                    f"starts with '{verb}', not a recognised observable verb",
                    "start with a verb such as Calculate, Interpret, Choose, Construct or "
                    "Explain (see OBSERVABLE_VERBS in qilab/escalator/schema.py)",
                )

    def names(self, where: str, value: Any, what: str, allow_empty: bool) -> None:
        if not isinstance(value, list):
            self.add(where, f"expected a list, found {_kind(value)}", f"list the {what}")
            return
        if not value and not allow_empty:
            self.add(where, "is empty", f"list the {what}")
        for j, name in enumerate(value):
            if not _text(name):
                self.add(f"{where}[{j}]", f"{name!r} is not a name", f"list the {what}")

    def prerequisites(
        self, i: int, m: dict[str, Any], ids: set[str], levels_by_id: dict[str, int]
    ) -> None:
        where = f"modules[{i}] ({m.get('id')}).prerequisites"
        prereqs = m.get("prerequisites", [])
        if prereqs is None:
            prereqs = []
        if not isinstance(prereqs, list):
            self.add(
                where,
                f"expected a list, found {_kind(prereqs)}",
                "write prerequisites: [] or a list of module ids",
            )
            return
        mine = levels_by_id.get(str(m.get("id")))
        for name in prereqs:
            if name not in ids:
                self.add(
                    where,
                    f"{name!r} is not a module id",
                    "use an id from the modules: list (e.g. foundation_systems)",
                )
            elif name == m.get("id"):
                self.add(where, "a module cannot require itself", f"remove {name}")
            elif mine is not None and levels_by_id.get(name, -1) > mine:
                self.add(
                    where,
                    f"{name} is at a higher level than this module",
                    "a prerequisite must be at the same level or below; remove it or move "
                    "the module up",
                )

    def cycles(self, modules: list[Any]) -> None:
        graph = {
            str(m.get("id")): [str(p) for p in (m.get("prerequisites") or []) if isinstance(p, str)]
            for m in modules
            if isinstance(m, dict) and isinstance(m.get("prerequisites") or [], list)
        }
        for cycle in _cycles(graph):
            self.add(
                "modules",
                f"prerequisites go round in a circle: {' → '.join(cycle)}",
                "remove one of those prerequisites so a learner can start somewhere",
            )


def _cycles(graph: dict[str, list[str]]) -> Iterable[list[str]]:
    """Each prerequisite cycle once (depth-first search, colouring nodes)."""
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    return found


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
