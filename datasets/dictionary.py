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

#: Curriculum themes.
THEMES = ("measurement", "pdsa", "systems_thinking", "co_design")

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
    """A data dictionary (YAML) is missing a field or contradicts itself."""


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


def _need(mapping: dict[str, Any], key: str, where: str, source: str) -> Any:
    if key not in mapping or mapping[key] in (None, "", [], {}):
        raise DictionaryError(
            f"{source}: {where} has no '{key}'. Add a '{key}:' entry to the YAML file "
            "(see any other data set's dictionary for an example)."
        )
    return mapping[key]


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def _date(value: Any, where: str, source: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DictionaryError(
            f"{source}: {where} is {value!r}, not an ISO date: write it as YYYY-MM-DD."
        ) from None


def _column(raw: dict[str, Any], source: str) -> Column:
    name = _need(raw, "name", "a column", source)
    where = f"column '{name}'"
    ctype = _need(raw, "type", where, source)
    if ctype not in TYPES:
        raise DictionaryError(
            f"{source}: {where} has type {ctype!r}; use one of: {', '.join(TYPES)}."
        )
    role = _need(raw, "role", where, source)
    if role not in ROLES:
        raise DictionaryError(
            f"{source}: {where} has role {role!r}; use one of: {', '.join(ROLES)}."
        )
    definition = raw.get("definition")
    if role == "measure" and not definition:
        raise DictionaryError(
            f"{source}: {where} is a measure but has no 'definition'. Write its operational "
            "definition: what is counted or timed, from when to when, and what is excluded."
        )
    categories = raw.get("categories")
    if ctype == "category":
        if not categories:
            raise DictionaryError(
                f"{source}: {where} is a category but lists no 'categories': list every level."
            )
        odd = [c for c in categories if not isinstance(c, str)]
        if odd:
            raise DictionaryError(
                f"{source}: {where} has categories {odd} that YAML did not read as text "
                "(unquoted No, Yes, On, numbers...): put quotes around them."
            )
        categories = tuple(categories)
    elif categories:
        raise DictionaryError(
            f"{source}: {where} lists categories but its type is {ctype!r}: "
            "make it type 'category' or remove the list."
        )
    decimals = raw.get("decimals")
    if ctype == "float" and decimals is None:
        raise DictionaryError(
            f"{source}: {where} is a float with no 'decimals': say how many decimal places "
            "the CSV holds (this keeps the file byte-for-byte reproducible)."
        )
    return Column(
        name=str(name),
        type=ctype,
        unit=_text(_need(raw, "unit", where, source)),
        description=_text(_need(raw, "description", where, source)),
        role=role,
        definition=_text(definition) if definition else None,
        categories=categories,
        ordered=bool(raw.get("ordered", False)),
        decimals=None if decimals is None else int(decimals),
        nullable=bool(raw.get("nullable", False)),
    )


def _calibration(raw: dict[str, Any], source: str) -> Calibration:
    where = "a calibration entry"
    kind = _need(raw, "kind", where, source)
    if kind not in ("report", "data", "knowledge"):
        raise DictionaryError(
            f"{source}: calibration kind {kind!r}; use 'report' (a founding report, cited by "
            "title), 'data' (published data) or 'knowledge' (general domain knowledge)."
        )
    year = raw.get("year")
    return Calibration(
        source=_text(_need(raw, "source", where, source)),
        kind=kind,
        figure=_text(_need(raw, "figure", where, source)),
        how_used=_text(_need(raw, "how_used", where, source)),
        publisher=raw.get("publisher"),
        year=None if year is None else int(year),
        licence=raw.get("licence"),
    )


def parse_dictionary(raw: dict[str, Any], source: str) -> DataDictionary:
    """Check a YAML mapping and turn it into a :class:`DataDictionary`.

    ``source`` names the file in error messages, so a tutor knows which YAML to fix.
    """
    if not isinstance(raw, dict):
        raise DictionaryError(f"{source}: the file is not a YAML mapping of fields to values.")
    for key in REQUIRED_TOP:
        _need(raw, key, "the dictionary", source)
    synthetic = _text(raw["synthetic"])
    if SYNTHETIC_MARK not in synthetic or "not real patient data" not in synthetic:
        raise DictionaryError(
            f"{source}: the 'synthetic' statement must say 'SYNTHETIC' and "
            "'not real patient data' so nobody mistakes the data for real records."
        )
    curriculum = raw["curriculum"]
    level = _need(curriculum, "level", "curriculum", source)
    if level not in LEVELS:
        raise DictionaryError(
            f"{source}: curriculum level {level!r}; use one of: {', '.join(LEVELS)}."
        )
    themes = tuple(_need(curriculum, "themes", "curriculum", source))
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        raise DictionaryError(
            f"{source}: unknown curriculum theme(s) {unknown}; use: {', '.join(THEMES)}."
        )
    period = raw["period"]
    generation = raw["generation"]
    calibration = raw["calibration"]
    licence = raw["licence"]
    for key in ("data", "code"):
        _need(licence, key, "licence", source)
    columns = tuple(_column(c, source) for c in raw["columns"])
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise DictionaryError(f"{source}: a column name appears twice: {names}.")
    events = tuple(
        Event(
            date=_date(_need(e, "date", "an event", source), "an event date", source),
            description=_text(_need(e, "description", "an event", source)),
        )
        for e in raw.get("events") or []
    )
    seed = generation.get("seed")
    return DataDictionary(
        name=str(raw["name"]),
        title=_text(raw["title"]),
        synthetic=synthetic,
        description=_text(raw["description"]),
        level=level,
        themes=themes,
        charts=tuple(_need(curriculum, "charts", "curriculum", source)),
        setting=_text(raw["setting"]),
        row=_text(raw["row"]),
        period_start=_date(_need(period, "start", "period", source), "period start", source),
        period_end=_date(_need(period, "end", "period", source), "period end", source),
        columns=columns,
        events=events,
        generation_method=_text(_need(generation, "method", "generation", source)),
        seed=None if seed is None else int(seed),
        calibration=tuple(
            _calibration(c, source) for c in _need(calibration, "sources", "calibration", source)
        ),
        calibration_notes=_text(calibration.get("notes", "")),
        licence={str(k): str(v) for k, v in licence.items()},
        tutor_notes=str(raw["tutor_notes"]).strip(),
        related=tuple(raw.get("related") or ()),
    )


def read_dictionary(path: Path) -> DataDictionary:
    """Read and check one ``<name>.yaml`` file."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    parsed = parse_dictionary(raw, path.name)
    if parsed.name != path.stem:
        raise DictionaryError(
            f"{path.name}: its 'name' is {parsed.name!r} but the file is called "
            f"{path.stem!r}: make them the same."
        )
    return parsed
