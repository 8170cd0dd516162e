"""Which data sets exist, where their files are, and what a mistyped name was meant to be.

Every data set is a pair of files side by side in this package: ``<name>.csv`` (the data) and
``<name>.yaml`` (its dictionary). The YAML files are the catalogue, so adding a data set needs no
registration beyond its generator.
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

import pandas as pd
from qilab.datasets.dictionary import LEVELS, THEMES, DataDictionary, read_dictionary

from qilab.errors import QilabError

#: The folder that holds the CSV and YAML files (this package's own folder).
DATA_DIR = Path(__file__).resolve().parent


class UnknownDatasetError(QilabError, KeyError):
    """No data set has that name."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


def names() -> list[str]:
    """The names of all data sets, sorted."""
    return sorted(p.stem for p in DATA_DIR.glob("*.yaml"))


def csv_path(name: str) -> Path:
    return DATA_DIR / f"{check_name(name)}.csv"


def yaml_path(name: str) -> Path:
    return DATA_DIR / f"{check_name(name)}.yaml"


def check_name(name: str) -> str:
    """Return ``name`` if a data set has it; otherwise raise, suggesting close matches."""
    known = names()
    if isinstance(name, str) and name in known:
        return name
    text = str(name)
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in known:
        return key
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    close += [n for n in known if key and key in n and n not in close][: 3 - len(close)]
    hint = (
        f"Did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else "Run qilab.datasets.list() to see them all."
    )
    raise UnknownDatasetError(f"There is no data set called {text!r}. {hint}")


@cache
def _dictionary_cached(path: Path, mtime_ns: int) -> DataDictionary:
    return read_dictionary(path)


def dictionary(name: str) -> DataDictionary:
    """The parsed dictionary of one data set (re-read when its YAML file changes)."""
    path = yaml_path(name)
    return _dictionary_cached(path, path.stat().st_mtime_ns)


def list_datasets(level: str | None = None, theme: str | None = None) -> pd.DataFrame:
    """List the data sets: one row each, with what a learner needs to pick one.

    Parameters
    ----------
    level : str, optional
        Keep only data sets for this level of the skills escalator: ``"foundation"``,
        ``"practitioner"`` or ``"advanced"`` (advanced practitioner).
    theme : str, optional
        Keep only data sets for this theme: ``"systems"`` (systems thinking),
        ``"measurement"``, ``"pdsa"`` or ``"codesign"`` (co-design and co-production) — the
        escalator's theme ids.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (what to pass to :func:`load`), ``title``, ``level``, ``themes``,
        ``charts`` (the charts it was designed for), ``rows`` (one row is…), ``period``
        and ``columns`` (how many). Sorted by level, then name.

    Examples
    --------
    >>> from qilab import datasets
    >>> table = datasets.list()
    >>> "ed_daily" in set(table["name"])
    True
    >>> datasets.list(theme="pdsa")["name"].tolist()  # doctest: +SKIP
    ['gp_access_collaborative', 'pdsa_log', ...]
    """
    if level is not None and level not in LEVELS:
        raise QilabError(f"Unknown level {level!r}: use one of {', '.join(LEVELS)}.")
    if theme is not None and theme not in THEMES:
        raise QilabError(f"Unknown theme {theme!r}: use one of {', '.join(THEMES)}.")
    records = []
    for name in names():
        d = dictionary(name)
        if level is not None and d.level != level:
            continue
        if theme is not None and theme not in d.themes:
            continue
        records.append(
            {
                "name": d.name,
                "title": d.title,
                "level": d.level,
                "themes": ", ".join(d.themes),
                "charts": ", ".join(d.charts),
                "rows": d.row,
                "period": f"{d.period_start:%b %Y} – {d.period_end:%b %Y}",
                "columns": len(d.columns),
            }
        )
    table = pd.DataFrame.from_records(
        records,
        columns=["name", "title", "level", "themes", "charts", "rows", "period", "columns"],
    )
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    table = table.sort_values(
        ["level", "name"], key=lambda s: s.map(order) if s.name == "level" else s
    )
    return table.reset_index(drop=True)
