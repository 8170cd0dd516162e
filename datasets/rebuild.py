"""Rebuild the shipped CSVs from their generators, or check that they would come out the same.

``check=True`` is what CI runs: it writes every CSV into a temporary folder and compares bytes
with the shipped file, so a hand-edited CSV or an unrecorded change to a generator is caught.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qilab.datasets.catalogue import DATA_DIR, check_name, dictionary, names
from qilab.datasets.csvformat import to_csv_bytes
from qilab.datasets.generators import GENERATORS, generator


@dataclass
class RegenerationReport:
    """What :func:`regenerate` did: which data sets match, differ, are missing or were written."""

    check: bool
    matching: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing differs or is missing (always true after writing)."""
        return not self.differing and not self.missing

    def __str__(self) -> str:
        if not self.check:
            return f"Wrote {len(self.written)} data set(s): {', '.join(self.written)}."
        lines = [f"{len(self.matching)} data set(s) are byte-for-byte identical to a rebuild."]
        if self.differing:
            lines.append(
                "Differ from a rebuild: "
                + ", ".join(self.differing)
                + ". If the generator change is intended, run `qilab datasets regenerate` "
                "and update the dictionaries; otherwise restore the CSV files."
            )
        if self.missing:
            lines.append(
                "Missing CSV files: "
                + ", ".join(self.missing)
                + ". Run `qilab datasets regenerate` to create them."
            )
        return "\n".join(lines)


def regenerate(
    which: Iterable[str] | None = None,
    *,
    check: bool = False,
    directory: Path | None = None,
) -> RegenerationReport:
    """Rebuild data sets from their seeded generators.

    Parameters
    ----------
    which : iterable of str, optional
        Data set names; all of them by default.
    check : bool, default False
        Build into a temporary folder and compare bytes with the shipped CSVs instead of
        writing anything.
    directory : Path, optional
        Where to write (when ``check`` is False) or what to compare against (when True);
        defaults to the package's own data folder.

    Returns
    -------
    RegenerationReport
        ``.ok`` is False when a CSV differs from its rebuild or is missing.
    """
    target = Path(directory) if directory is not None else DATA_DIR
    selected = [check_name(n) for n in which] if which is not None else names()
    for name in selected:
        generator(name)  # every data set must have a generator
    report = RegenerationReport(check=check)
    with tempfile.TemporaryDirectory(prefix="qilab-datasets-") as tmp:
        for name in selected:
            data = to_csv_bytes(generator(name).generate(), dictionary(name))
            if not check:
                (target / f"{name}.csv").write_bytes(data)
                report.written.append(name)
                continue
            rebuilt = Path(tmp) / f"{name}.csv"
            rebuilt.write_bytes(data)
            shipped = target / f"{name}.csv"
            if not shipped.exists():
                report.missing.append(name)
            elif shipped.read_bytes() == rebuilt.read_bytes():
                report.matching.append(name)
            else:
                report.differing.append(name)
    return report


def orphan_generators() -> list[str]:
    """Generators with no dictionary (a data set half added)."""
    return sorted(set(GENERATORS) - set(names()))
