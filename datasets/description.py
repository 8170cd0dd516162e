"""Show a data dictionary to a person: Markdown in JupyterLab, plain text in a terminal.

Tutor notes say what a learner should find in the data, so they are hidden unless asked for:
a learner who calls ``describe`` gets the dictionary, not the answers.
"""

from __future__ import annotations

import textwrap

import pandas as pd
from qilab.datasets.catalogue import dictionary
from qilab.datasets.dictionary import Calibration, Column, DataDictionary


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _type_label(col: Column) -> str:
    if col.type == "category":
        kind = "ordered category" if col.ordered else "category"
        levels: tuple[str, ...] = col.categories or ()
        if len(levels) > 8:
            return f"{kind}: {len(levels)} levels, {levels[0]} … {levels[-1]}"
        return f"{kind}: {', '.join(levels)}"
    if col.type == "float":
        return f"float ({col.decimals} d.p.)"
    if col.type == "integer" and col.nullable:
        return "integer (may be blank)"
    return col.type


class Description:
    """A readable data dictionary; returned by :func:`qilab.datasets.describe`.

    Displays as Markdown in JupyterLab and as text with ``print``. The parsed dictionary is
    ``.dictionary``; ``.columns`` is a table of the columns.
    """

    def __init__(self, data_dictionary: DataDictionary, tutor_notes: bool = False) -> None:
        self.dictionary = data_dictionary
        self.tutor_notes = tutor_notes

    @property
    def columns(self) -> pd.DataFrame:
        """One row per column: name, type, unit, description and operational definition."""
        return pd.DataFrame(
            [
                {
                    "column": c.name,
                    "type": _type_label(c),
                    "unit": c.unit,
                    "description": c.description,
                    "definition": c.definition or "",
                }
                for c in self.dictionary.columns
            ]
        )

    def _repr_markdown_(self) -> str:
        d = self.dictionary
        out = [
            f"### `{d.name}`: {d.title}",
            "",
            f"> **{d.synthetic}**",
            "",
            d.description,
            "",
            f"- **Setting:** {d.setting}",
            f"- **One row is:** {d.row}",
            f"- **Period:** {d.period_start:%d %b %Y} to {d.period_end:%d %b %Y}",
            f"- **Curriculum:** {d.level} level; themes: {', '.join(d.themes)}; "
            f"charts: {', '.join(d.charts)}",
            f'- **Load it:** `qilab.datasets.load("{d.name}")`',
            "",
            "#### Columns",
            "",
            "| column | type | unit | description | operational definition |",
            "|---|---|---|---|---|",
        ]
        for c in d.columns:
            out.append(
                f"| `{c.name}` | {_cell(_type_label(c))} | {_cell(c.unit)} | "
                f"{_cell(c.description)} | {_cell(c.definition)} |"
            )
        if d.events:
            out += ["", "#### Events during the period", ""]
            out += [f"- **{e.date:%d %b %Y}**: {e.description}" for e in d.events]
        out += ["", "#### How it was generated", "", d.generation_method]
        if d.seed is not None:
            out[-1] += f" Random seed: {d.seed}."
        out += ["", "#### Calibration", ""]
        for cal in d.calibration:
            out.append(f"- *{cal.source}*{_origin(cal)}: {cal.figure} {cal.how_used}")
        if d.calibration_notes:
            out += ["", d.calibration_notes]
        if d.related:
            out += ["", "**Related data sets:** " + ", ".join(f"`{r}`" for r in d.related)]
        out += ["", f"**Licence:** data {d.licence['data']}; code {d.licence['code']}."]
        if self.tutor_notes:
            out += ["", "#### Tutor notes: what a learner should find", "", d.tutor_notes]
        else:
            out += ["", "*Tutor notes are hidden: `describe(name, tutor_notes=True)` shows them.*"]
        return "\n".join(out)

    def __str__(self) -> str:
        d = self.dictionary
        wrap = textwrap.TextWrapper(width=96, subsequent_indent="    ")
        lines = [
            f"{d.name}: {d.title}",
            "=" * min(96, len(d.name) + len(d.title) + 2),
            *textwrap.wrap(d.synthetic, 96),
            "",
            *textwrap.wrap(d.description, 96),
            "",
            f"Setting:     {d.setting}",
            f"One row is:  {d.row}",
            f"Period:      {d.period_start:%d %b %Y} to {d.period_end:%d %b %Y}",
            f"Curriculum:  {d.level}; themes: {', '.join(d.themes)}",
            f"Charts:      {', '.join(d.charts)}",
            "",
            "Columns",
            "-------",
        ]
        for c in d.columns:
            lines.append(f"{c.name}  [{_type_label(c)}; {c.unit}]")
            lines += wrap.wrap("    " + c.description)
            if c.definition:
                lines += wrap.wrap("    Definition: " + c.definition)
        if d.events:
            lines += ["", "Events", "------"]
            for e in d.events:
                lines += wrap.wrap(f"{e.date:%Y-%m-%d}  {e.description}")
        lines += ["", "Generated", "---------", *textwrap.wrap(d.generation_method, 96)]
        if d.seed is not None:
            lines.append(f"Random seed: {d.seed}")
        lines += ["", "Calibration", "-----------"]
        for cal in d.calibration:
            lines += wrap.wrap(f"- {cal.source}{_origin(cal)}: {cal.figure} {cal.how_used}")
        if d.calibration_notes:
            lines += textwrap.wrap(d.calibration_notes, 96)
        if d.related:
            lines += ["", "Related data sets: " + ", ".join(d.related)]
        lines += ["", f"Licence: data {d.licence['data']}; code {d.licence['code']}"]
        if self.tutor_notes:
            lines += ["", "Tutor notes", "-----------"]
            for para in d.tutor_notes.splitlines():
                lines += wrap.wrap(para) or [""]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _origin(cal: Calibration) -> str:
    bits = [b for b in (cal.publisher, str(cal.year) if cal.year else None) if b]
    return f" ({', '.join(bits)})" if bits else ""


def describe(name: str, tutor_notes: bool = False) -> Description:
    """Show a data set's dictionary: columns, units, operational definitions and provenance.

    Parameters
    ----------
    name : str
        The data set, as listed by :func:`qilab.datasets.list`.
    tutor_notes : bool, default False
        Also show the tutor notes (what a learner should find in the data).

    Returns
    -------
    Description
        Renders as Markdown in JupyterLab and as plain text with ``print``; its
        ``.columns`` is a table of the columns and ``.dictionary`` the parsed dictionary.

    Examples
    --------
    >>> from qilab import datasets
    >>> info = datasets.describe("ward_falls")
    >>> info.columns["column"].tolist()[:2]
    ['month', 'occupied_bed_days']
    >>> print(info)  # doctest: +SKIP
    ward_falls: Monthly inpatient falls per 1,000 occupied bed days on an older people's ward
    ...
    """
    return Description(dictionary(name), tutor_notes=tutor_notes)


__all__ = ["Description", "describe"]
