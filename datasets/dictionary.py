"""Data dictionaries: the YAML file that travels with every data set.

A dictionary is the contract between the CSV, the loader and the learner: it names every column
with its type and unit, gives each measure an operational definition, says how the data were
generated and calibrated, and states plainly that the data are synthetic. Parsing is strict so a
tutor who edits a YAML file hears at once which field is missing, not later in a lesson.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qilab import levels
from qilab.errors import QilabError
from qilab.validation import Problem, problems

#: Column types a dictionary may use, and what :func:`qilab.datasets.load` turns them into.
TYPES: dict[str, str] = {
    "date": "datetime64 (a calendar day; monthly data use the first day of the month)",
    "datetime": "datetime64 (date and time to the minute)",
    "integer": "int64 (Int64 when the column may be blank)",
    "float": "float64",
    "category": "pandas categorical (ordered when the dictionary says so)",
    "string": "text",
    "boolean": "bool",
}

#: Roles: which columns are measures (and so need an operational definition).
ROLES = ("time", "identifier", "grouping", "measure", "text")

#: The skills escalator's levels, lowest first (defined once, with the curriculum's manifest).
LEVELS = levels.LEVELS

#: Curriculum themes, spelt as the manifest's module ids spell them (defined once, in qilab.levels).
THEMES = levels.THEMES

#: The wording every dictionary's ``synthetic`` statement must contain.
SYNTHETIC_MARK = "SYNTHETIC"

REQUIRED_TOP = (
    "name",
    "title",
    "synthetic",
    "description",
    "curriculum",
    "setting",
    "row",
    "period",
    "columns",
    "generation",
    "calibration",
    "licence",
    "tutor_notes",
)


class DictionaryError(QilabError):
    """A data dictionary (YAML) is missing a field or contradicts itself.

    The message names the file and its first problem; ``problems`` holds them all.
    """

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{source}: {problems[0]}{more}")


@dataclass(frozen=True)
class Column:
    """One column of a data set, as its dictionary documents it."""

    name: str
    type: str
    unit: str
    description: str
    role: str
    definition: str | None = None
    categories: tuple[str, ...] | None = None
    ordered: bool = False
    decimals: int | None = None
    nullable: bool = False

    @property
    def is_measure(self) -> bool:
        return self.role == "measure"


@dataclass(frozen=True)
class Event:
    """Something that happened during the period: a change tested, an incident, a go-live."""

    date: dt.date
    description: str


@dataclass(frozen=True)
class Calibration:
    """What a data set's levels or effects were calibrated on, and how."""

    source: str
    kind: str  # "report" (a founding report), "data" (published data) or "knowledge"
    figure: str
    how_used: str
    publisher: str | None = None
    year: int | None = None
    licence: str | None = None


@dataclass(frozen=True)
class DataDictionary:
    """The parsed data dictionary of one data set."""

    name: str
    title: str
    synthetic: str
    description: str
    level: str
    themes: tuple[str, ...]
    charts: tuple[str, ...]
    setting: str
    row: str
    period_start: dt.date
    period_end: dt.date
    columns: tuple[Column, ...]
    events: tuple[Event, ...]
    generation_method: str
    seed: int | None
    calibration: tuple[Calibration, ...]
    calibration_notes: str
    licence: dict[str, str]
    tutor_notes: str
    related: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _text_schema(fix: str) -> dict[str, Any]:
    return {"type": "string", "pattern": r"\S", "x-message": "missing or empty", "x-fix": fix}


_SEE_OTHERS = "(see any other data set's dictionary for an example)"

SYNTHETIC_WORDING = {
    "x-message": f"must say '{SYNTHETIC_MARK}' and 'not real patient data'",
    "x-fix": "say so plainly, so nobody mistakes the data for real records",
}

COLUMN: dict[str, Any] = {
    "type": "object",
    "required": ["name", "type", "role", "unit", "description"],
    "properties": {
        "name": {
            "type": "string",
            "pattern": r"^[a-z][a-z0-9_]*$",
            "x-message": "{value!r} is not a column name",
            "x-fix": "use lower-case letters, digits and underscores, as in the CSV's header",
        },
        "type": {"enum": list(TYPES)},
        "role": {"enum": list(ROLES)},
        "unit": _text_schema(f"add a 'unit:' line {_SEE_OTHERS}"),
        "description": _text_schema(f"add a 'description:' line {_SEE_OTHERS}"),
        "definition": _text_schema(
            "write its operational definition: what is counted or timed, from when to when, "
            "and what is excluded"
        ),
        "categories": {
            "type": "array",
            "minItems": 1,
            "x-fix": "list every level",
            "items": {
                "type": "string",
                "x-message": "{value!r} was not read as text (YAML reads unquoted No, Yes, On and "
                "numbers as other things)",
                "x-fix": "put quotes around them",
            },
        },
        "ordered": {"type": "boolean"},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 12},
        "nullable": {"type": "boolean"},
    },
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"role": {"const": "measure"}}, "required": ["role"]},
            "then": {
                "required": ["definition"],
                "properties": {
                    "definition": {
                        "x-missing": "is a measure but has no 'definition'",
                        "x-fix": "write its operational definition: what is counted or timed, "
                        "from when to when, and what is excluded",
                    }
                },
            },
        },
        {
            "if": {"properties": {"type": {"const": "category"}}, "required": ["type"]},
            "then": {
                "required": ["categories"],
                "properties": {
                    "categories": {
                        "x-missing": "is a category but lists no 'categories'",
                        "x-fix": "list every level under categories:",
                    }
                },
            },
            "else": {
                "not": {"required": ["categories"]},
                "x-message": "lists categories but its type is not 'category'",
                "x-fix": "make it type 'category' or remove the list",
            },
        },
        {
            "if": {"properties": {"type": {"const": "float"}}, "required": ["type"]},
            "then": {
                "required": ["decimals"],
                "properties": {
                    "decimals": {
                        "x-missing": "is a float with no 'decimals'",
                        "x-fix": "say how many decimal places the CSV holds (this keeps the file "
                        "byte-for-byte reproducible)",
                    }
                },
            },
        },
    ],
}

CALIBRATION_SOURCE: dict[str, Any] = {
    "type": "object",
    "required": ["source", "kind", "figure", "how_used"],
    "properties": {
        "source": _text_schema("name the report, data or knowledge the figure comes from"),
        "kind": {
            "enum": ["report", "data", "knowledge"],
            "x-message": "{value!r} is not a kind of source",
            "x-fix": "use 'report' (a founding report, cited by title), 'data' (published data) "
            "or 'knowledge' (general domain knowledge)",
        },
        "figure": _text_schema("quote the figure the data were calibrated on"),
        "how_used": _text_schema("say how the figure sets the synthetic data's levels"),
        "publisher": {"type": "string"},
        "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
        "licence": {"type": "string"},
    },
    "additionalProperties": False,
}

#: A data dictionary's shape (JSON Schema draft 2020-12, worded by :mod:`qilab.validation`).
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "QI Lab data dictionary (datasets/<name>.yaml)",
    "type": "object",
    "x-message": "the file is not a YAML mapping of fields to values",
    "x-fix": "start from another data set's dictionary and edit it",
    "x-item-labels": {"columns": "name"},
    "required": list(REQUIRED_TOP),
    "properties": {
        "name": _text_schema("give the data set's name, the file name without .yaml"),
        "title": _text_schema("add a one-line title"),
        "synthetic": {
            "type": "string",
            "allOf": [
                {"pattern": pattern, **SYNTHETIC_WORDING}
                for pattern in (SYNTHETIC_MARK, r"not\s+real\s+patient\s+data")
            ],
        },
        "description": _text_schema("describe the data and what they suit"),
        "curriculum": {
            "type": "object",
            "required": ["level", "themes", "charts"],
            "properties": {
                "level": {"enum": list(LEVELS)},
                "themes": {"type": "array", "minItems": 1, "items": {"enum": list(THEMES)}},
                "charts": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        "setting": _text_schema("describe the (fictional) setting"),
        "row": _text_schema("say what one row is, e.g. one calendar month"),
        "period": {
            "type": "object",
            "required": ["start", "end"],
            "properties": {
                "start": {"type": "string", "format": "date"},
                "end": {"type": "string", "format": "date"},
            },
            "additionalProperties": False,
        },
        "columns": {"type": "array", "minItems": 1, "items": COLUMN},
        "events": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["date", "description"],
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "description": _text_schema("say what happened"),
                },
                "additionalProperties": False,
            },
        },
        "generation": {
            "type": "object",
            "required": ["method"],
            "properties": {
                "method": _text_schema("say how the data were generated, naming the generator"),
                "seed": {"type": "integer"},
            },
            "additionalProperties": False,
        },
        "calibration": {
            "type": "object",
            "required": ["sources"],
            "properties": {
                "sources": {"type": "array", "minItems": 1, "items": CALIBRATION_SOURCE},
                "notes": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "licence": {
            "type": "object",
            "required": ["data", "code"],
            "additionalProperties": {"type": "string"},
        },
        "tutor_notes": _text_schema("add notes for tutors: what the data show and how to teach it"),
        "related": {"type": ["array", "null"], "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def _column(raw: dict[str, Any]) -> Column:
    definition = raw.get("definition")
    categories = raw.get("categories")
    decimals = raw.get("decimals")
    return Column(
        name=str(raw["name"]),
        type=raw["type"],
        unit=_text(raw["unit"]),
        description=_text(raw["description"]),
        role=raw["role"],
        definition=_text(definition) if definition else None,
        categories=tuple(categories) if categories else None,
        ordered=bool(raw.get("ordered", False)),
        decimals=None if decimals is None else int(decimals),
        nullable=bool(raw.get("nullable", False)),
    )


def _calibration(raw: dict[str, Any]) -> Calibration:
    year = raw.get("year")
    return Calibration(
        source=_text(raw["source"]),
        kind=raw["kind"],
        figure=_text(raw["figure"]),
        how_used=_text(raw["how_used"]),
        publisher=raw.get("publisher"),
        year=None if year is None else int(year),
        licence=raw.get("licence"),
    )


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def dictionary_problems(raw: Any) -> list[Problem]:
    """Every problem with a parsed dictionary: its :data:`SCHEMA`, then the rules between fields.

    Examples
    --------
    >>> [str(p) for p in dictionary_problems({"name": "x"})][0]
    'title: missing. Fix: add a one-line title'
    """
    found = problems(raw, SCHEMA, root="the file")
    if isinstance(raw, dict) and isinstance(raw.get("columns"), list):
        names = [c.get("name") for c in raw["columns"] if isinstance(c, dict)]
        twice = sorted({str(n) for n in names if names.count(n) > 1})
        if twice:
            found.append(
                Problem(
                    "columns",
                    f"the column name {', '.join(twice)} appears twice",
                    "give every column its own name, as in the CSV's header",
                )
            )
    return found


def parse_dictionary(raw: dict[str, Any], source: str) -> DataDictionary:
    """Check a YAML mapping and turn it into a :class:`DataDictionary`.

    ``source`` names the file in error messages, so a tutor knows which YAML to fix.
    """
    found = dictionary_problems(raw)
    if found:
        raise DictionaryError(source, found)
    curriculum, generation, calibration = raw["curriculum"], raw["generation"], raw["calibration"]
    seed = generation.get("seed")
    tutor_notes = raw["tutor_notes"]
    return DataDictionary(
        name=str(raw["name"]),
        title=_text(raw["title"]),
        synthetic=_text(raw["synthetic"]),
        description=_text(raw["description"]),
        level=curriculum["level"],
        themes=tuple(curriculum["themes"]),
        charts=tuple(curriculum["charts"]),
        setting=_text(raw["setting"]),
        row=_text(raw["row"]),
        period_start=_date(raw["period"]["start"]),
        period_end=_date(raw["period"]["end"]),
        columns=tuple(_column(c) for c in raw["columns"]),
        events=tuple(
            Event(date=_date(e["date"]), description=_text(e["description"]))
            for e in raw.get("events") or []
        ),
        generation_method=_text(generation["method"]),
        seed=None if seed is None else int(seed),
        calibration=tuple(_calibration(c) for c in calibration["sources"]),
        calibration_notes=_text(calibration.get("notes", "")),
        licence={str(k): str(v) for k, v in raw["licence"].items()},
        tutor_notes=str(tutor_notes).strip(),
        related=tuple(raw.get("related") or ()),
    )


def read_dictionary(path: Path) -> DataDictionary:
    """Read and check one ``<name>.yaml`` file."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    parsed = parse_dictionary(raw, path.name)
    if parsed.name != path.stem:
        raise DictionaryError(
            path.name,
            [
                Problem(
                    "name",
                    f"is {parsed.name!r} but the file is called {path.stem!r}",
                    "make them the same",
                )
            ],
        )
    return parsed
