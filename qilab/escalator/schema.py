"""Validate the escalator manifest (``curriculum/escalator.yaml``) before anything trusts it.

An academy edits the manifest by hand, so validation collects *every* problem at once, each
with where it is (``modules[3] (foundation_pdsa).outcomes[1].text``), what is wrong and how to
fix it, rather than stopping at the first. The manifest's shape is :data:`SCHEMA`, a JSON Schema
checked by jsonschema (:mod:`qilab.validation` words each failure); what a schema cannot say —
outcome verbs, ids that must agree with each other, prerequisites — is checked below it.
:func:`validate` works on the parsed YAML and never touches the disk; file checks live in
:mod:`qilab.curriculum.check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from qilab.levels import LEVELS, THEMES  # re-exported: the manifest's vocabulary
from qilab.validation import Problem, problems

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

__all__ = ["LEVELS", "SCHEMA", "THEMES", "Problem", "module_id", "outcome_verb", "validate"]


def _text(fix: str, **more: Any) -> dict[str, Any]:
    """Non-blank text."""
    return {
        "type": "string",
        "pattern": r"\S",
        "x-message": "missing or empty",
        "x-fix": fix,
        **more,
    }


def _percentage(above_zero: bool, message: str, fix: str) -> dict[str, Any]:
    bound = {"exclusiveMinimum": 0} if above_zero else {"minimum": 0}
    return {"type": "number", **bound, "maximum": 100, "x-message": message, "x-fix": fix}


PASS_MARK = _percentage(
    True,
    "is {value!r}, a percentage between 0 and 100 was expected",
    "use a number such as 50 (meaning 50 % of the assignment's marks)",
)
OUTCOME_MINIMUM = _percentage(
    False,
    "is {value!r}, a percentage from 0 to 100 was expected",
    "use a number such as 40 (a learner needs 40 % of the marks tagged with each outcome), or "
    "remove it for no minimum",
)


def _stages(key: str, ids: tuple[str, ...]) -> dict[str, Any]:
    """The ``levels:`` or ``themes:`` list: fixed ids, each with a title and description."""
    return {
        "type": "array",
        "x-message": "missing",
        "x-fix": f"add {key}: with entries for {', '.join(ids)}",
        "items": {
            "type": "object",
            "x-message": "expected id, title and description, found {kind}",
            "x-fix": "write it as a mapping: - id: …, title: …, description: …",
            "required": ["id", "title", "description"],
            "properties": {
                "id": {
                    "enum": list(ids),
                    "x-message": f"{{value!r}} is not one of {', '.join(ids)}",
                    "x-fix": f"use one of the fixed {key} ids; other tools rely on them",
                },
                "title": _text("add a title"),
                "description": _text("add a description"),
            },
        },
    }


def _names(what: str, allow_empty: bool) -> dict[str, Any]:
    return {
        "type": "array",
        **({} if allow_empty else {"minItems": 1}),
        "x-fix": f"list the {what}",
        "items": {
            "type": "string",
            "pattern": r"\S",
            "x-message": "{value!r} is not a name",
            "x-fix": f"list the {what}",
        },
    }


OUTCOME: dict[str, Any] = {
    "type": "object",
    "x-message": "expected id and text, found {kind}",
    "x-fix": "write - id: <module id>.<n> / text: …",
    "required": ["id", "text"],
    "properties": {
        "id": {"type": "string", "x-fix": "number outcomes {module id}.1, .2, … in order"},
        "text": _text("write what the learner will be able to do"),
        "minimum": OUTCOME_MINIMUM,
    },
    "additionalProperties": False,
    "x-unknown-fix": "an outcome has id, text and (optionally) minimum",
}

MODULE: dict[str, Any] = {
    "type": "object",
    "x-message": "expected a module mapping, found {kind}",
    "x-fix": "copy an existing module entry and edit it",
    "required": [
        *("id", "title", "level", "theme", "outcomes", "minutes", "lesson", "simulations"),
        *("datasets", "assignment", "sources"),
    ],
    "properties": {
        "id": {
            "type": "string",
            "pattern": ID_PATTERN.pattern,
            "x-message": "{value!r} is not a valid id",
            "x-fix": "use lower-case letters, digits and underscores, as {level}_{theme}",
        },
        "title": _text("add a short title learners will see", **{"x-missing": "missing"}),
        "level": {
            "enum": list(LEVELS),
            "x-message": "{value!r} is not a level",
            "x-fix": f"use one of {', '.join(LEVELS)}",
        },
        "theme": {
            "enum": list(THEMES),
            "x-message": "{value!r} is not a theme",
            "x-fix": f"use one of {', '.join(THEMES)}",
        },
        "outcomes": {
            "type": "array",
            "minItems": 1,
            "x-message": "missing",
            "x-fix": f"list {MIN_OUTCOMES}-{MAX_OUTCOMES} learning outcomes as - id: "
            "<module id>.1 / text: <observable verb> …",
            "allOf": [
                {
                    "minItems": MIN_OUTCOMES,
                    "maxItems": MAX_OUTCOMES,
                    "x-message": "has {count} outcomes",
                    "x-fix": f"keep {MIN_OUTCOMES}-{MAX_OUTCOMES}: merge or split outcomes",
                }
            ],
            "items": OUTCOME,
        },
        "prerequisites": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "x-fix": "write prerequisites: [] or a list of module ids",
        },
        "minutes": {
            "type": "integer",
            "minimum": MIN_MINUTES,
            "maximum": MAX_MINUTES,
            "x-message": f"is {{value!r}}; a lesson should take {MIN_MINUTES}-{MAX_MINUTES} "
            "minutes",
            "x-fix": f"set a whole number of minutes from {MIN_MINUTES} to {MAX_MINUTES}, or "
            "split the module",
        },
        "lesson": {
            "type": "string",
            "pattern": r"^[^/].*\.ipynb$",
            "x-message": "is {value!r}",
            "x-fix": "give the notebook path relative to curriculum/, e.g. foundation/pdsa.ipynb",
        },
        "simulations": _names("simulation class names, e.g. [RedBeadsApp]", allow_empty=False),
        "datasets": _names("qilab.datasets names, e.g. [ward_falls]", allow_empty=True),
        "assignment": _text(
            "name the nbgrader assignment; by convention it is the module id",
            **{"x-missing": "missing"},
        ),
        "case_study": {
            "type": ["string", "null"],
            "pattern": r"^[^/]+\.ipynb$",
            "x-message": "is {value!r}",
            "x-fix": "give a notebook file name in curriculum/cases/ (e.g. pincer.ipynb) or null",
        },
        "sources": {
            "type": "array",
            "minItems": 1,
            "x-fix": "cite at least one source in full (authors, title, publisher or journal, "
            "year)",
            "items": {
                "type": "string",
                "pattern": "(19|20)[0-9][0-9]",
                "x-message": "{value!r} is not a full citation",
                "x-fix": "write authors, title, publisher or journal and year",
            },
        },
        "pass_mark": PASS_MARK,
        "outcome_minimum": OUTCOME_MINIMUM,
    },
    "additionalProperties": False,
}

#: The manifest's shape (JSON Schema draft 2020-12, with :mod:`qilab.validation`'s wording).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "QI Lab skills escalator manifest (curriculum/escalator.yaml)",
    "type": "object",
    "x-message": "expected a mapping of keys (title, levels, themes, modules), found {kind}",
    "x-fix": "start from the committed curriculum/escalator.yaml and edit it",
    "x-item-labels": {"modules": "id"},
    "required": ["schema_version", "title", "levels", "themes", "modules"],
    "properties": {
        "schema_version": {
            "const": SCHEMA_VERSION,
            "x-message": f"is {{value!r}}, this QI Lab reads version {SCHEMA_VERSION}",
            "x-fix": f"set schema_version: {SCHEMA_VERSION}",
        },
        "title": _text("add a title: line (for example, title: QI Lab skills escalator)"),
        "pass_mark": PASS_MARK,
        "outcome_minimum": OUTCOME_MINIMUM,
        "levels": _stages("levels", LEVELS),
        "themes": _stages("themes", THEMES),
        "modules": {
            "type": "array",
            "minItems": 1,
            "x-message": "missing or empty",
            "x-fix": "add a modules: list with one entry per level and theme",
            "items": MODULE,
        },
    },
    "additionalProperties": False,
}


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
        The schema's problems in document order, then the rules between entries; each says
        where, what and how to fix it.

    Examples
    --------
    >>> [str(p) for p in validate({"schema_version": 1})][0]
    'title: missing. Fix: add a title: line (for example, title: QI Lab skills escalator)'
    """
    found = problems(raw, SCHEMA, root="escalator.yaml")
    if isinstance(raw, dict):
        found += _Rules(raw).problems
    return found


def _label(index: int, module: Any) -> str:
    """``modules[3] (foundation_pdsa)``: the place of a module, as the schema's problems name it."""
    ident = module.get("id") if isinstance(module, dict) else None
    return f"modules[{index}] ({ident})" if isinstance(ident, str) else f"modules[{index}]"


class _Rules:
    """The rules between entries that a JSON Schema cannot state."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.problems: list[Problem] = []
        for key, expected in (("levels", LEVELS), ("themes", THEMES)):
            if isinstance(raw.get(key), list):
                self.stages(key, raw[key], expected)
        modules = raw.get("modules")
        if isinstance(modules, list) and modules:
            self.modules([m if isinstance(m, dict) else {} for m in modules])

    def add(self, where: str, message: str, fix: str) -> None:
        self.problems.append(Problem(where, message, fix))

    def stages(self, key: str, items: list[Any], expected: tuple[str, ...]) -> None:
        seen = [item.get("id") for item in items if isinstance(item, dict)]
        missing = [name for name in expected if name not in seen]
        if missing:
            self.add(
                key,
                f"missing {', '.join(missing)}",
                f"add an entry for each of {', '.join(missing)}",
            )
        if len(set(map(str, seen))) != len(seen):
            self.add(key, "an id appears twice", "keep one entry per id")

    def modules(self, modules: list[dict[str, Any]]) -> None:
        ids: list[str] = []
        outcome_ids: set[str] = set()
        levels_by_id: dict[str, int] = {}
        for i, module in enumerate(modules):
            label = _label(i, module)
            ident = module.get("id")
            self.module(label, module)
            self.outcomes(label, ident, module.get("outcomes"), outcome_ids)
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
            self.prerequisites(_label(i, module), module, set(ids), levels_by_id)
        self.cycles(modules)

    def module(self, where: str, m: dict[str, Any]) -> None:
        ident, level, theme = m.get("id"), m.get("level"), m.get("theme")
        core = module_id(str(level), str(theme))
        fits = isinstance(ident, str) and level in LEVELS and theme in THEMES
        if fits and ident != core and not str(ident).startswith(core + "_"):
            self.add(
                f"{where}.id",
                f"does not match its level and theme (expected {core} or {core}_<topic>)",
                f"rename it {core} (or {core}_<topic> for an extra module), or correct "
                "its level and theme",
            )
        assignment = m.get("assignment")
        if isinstance(ident, str) and isinstance(assignment, str) and assignment != ident:
            self.add(
                f"{where}.assignment",
                f"is {assignment!r}, not the module id {ident!r}",
                f"set assignment: {ident} (one assignment per module, named after it)",
            )

    def outcomes(self, where: str, ident: Any, outcomes: Any, seen: set[str]) -> None:
        if not isinstance(outcomes, list):
            return
        for n, outcome in enumerate(outcomes, start=1):
            if not isinstance(outcome, dict):
                continue
            here = f"{where}.outcomes[{n - 1}]"
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
            text = outcome.get("text")
            if not isinstance(text, str) or not text.strip():
                continue  # the schema reports it
            verb = outcome_verb(text)
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

    def prerequisites(
        self, label: str, m: dict[str, Any], ids: set[str], levels_by_id: dict[str, int]
    ) -> None:
        prereqs = m.get("prerequisites") or []
        if not isinstance(prereqs, list):
            return  # the schema reports it
        where = f"{label}.prerequisites"
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

    def cycles(self, modules: list[dict[str, Any]]) -> None:
        graph = {
            str(m.get("id")): [str(p) for p in (m.get("prerequisites") or []) if isinstance(p, str)]
            for m in modules
            if isinstance(m.get("prerequisites") or [], list)
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
