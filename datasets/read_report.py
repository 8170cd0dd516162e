"""What :func:`qilab.datasets.read` tells the learner: what it cleaned, or which cells are wrong.

Rows are numbered as the learner sees them in Excel (1-based, the heading row counted), and
columns by their spreadsheet letter as well as their heading, so every message points at a
cell the learner can click on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qilab.errors import QilabError


def row_ranges(rows: list[int]) -> str:
    """'rows 3, 7–9 and 12' from [3, 7, 8, 9, 12]."""
    if not rows:
        return ""
    rows = sorted(rows)
    parts, start, prev = [], rows[0], rows[0]
    for r in [*rows[1:], None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if r is not None:
            start = prev = r
    noun = "row" if len(rows) == 1 else "rows"
    if len(parts) > 8:
        parts = [*parts[:8], f"… ({len(rows)} in all)"]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{noun} {text}"


@dataclass(frozen=True)
class CellProblem:
    """One cell (or row, or column) that stops the file being read."""

    message: str
    fix: str
    row: int | None = None
    column: str | None = None  # spreadsheet letter
    heading: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}" + (f" ('{self.heading}')" if self.heading else ""))
        text = ", ".join(where)
        prefix = f"{text[:1].upper()}{text[1:]}: " if text else ""
        return f"{prefix}{self.message} {self.fix}".strip()


class ReadError(QilabError):
    """A learner's file cannot be read as it is; the message says where and how to fix it."""

    def __init__(self, source: str, problems: list[CellProblem], summary: str | None = None):
        self.source = source
        self.problems = problems
        if summary is None:
            summary = (
                f"{source}: 1 cell needs fixing."
                if len(problems) == 1
                else f"{source}: {len(problems)} cells need fixing."
            )
        shown = problems[:8]
        lines = [summary, *(f"- {p}" for p in shown)]
        if len(problems) > len(shown):
            lines.append(f"- … and {len(problems) - len(shown)} more like these.")
        if problems:
            lines.append(
                "Rows and columns are as Excel shows them (the heading row counts). "
                "Fix the file in your spreadsheet, save it, and read it again; "
                "read() never changes your file."
            )
        super().__init__("\n".join(lines))


@dataclass
class CleaningReport:
    """What :func:`qilab.datasets.read` did to turn a file into a clean table."""

    source: str
    kind: str  # "CSV" or "Excel"
    sheet: str | None = None
    header_row: int = 1
    rows_kept: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # heading -> type read
    steps: list[str] = field(default_factory=list)
    dropped_rows: dict[int, str] = field(default_factory=dict)  # file row -> why
    source_rows: list[int] = field(default_factory=list)  # file row of each DataFrame row

    def add(self, step: str) -> None:
        self.steps.append(step)

    @property
    def changed(self) -> bool:
        """True when anything beyond plain reading happened."""
        return bool(self.steps or self.dropped_rows)

    def _summary(self) -> str:
        where = f"sheet '{self.sheet}' of " if self.sheet else ""
        return (
            f"Read {where}{self.kind} file {self.source}: {self.rows_kept} rows and "
            f"{len(self.columns)} columns, headings in row {self.header_row}."
        )

    def _types(self) -> str:
        return "; ".join(f"{name}: {kind}" for name, kind in self.columns.items())

    def __str__(self) -> str:
        lines = [self._summary(), f"Columns: {self._types()}."]
        if self.steps:
            lines.append("Cleaned:")
            lines += [f"- {s}" for s in self.steps]
        else:
            lines.append("Nothing needed cleaning.")
        lines.append("Your file was not changed.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        lines = [f"**{self._summary()}**", "", "| column | read as |", "|---|---|"]
        lines += [f"| {n.replace('|', '/')} | {k} |" for n, k in self.columns.items()]
        lines.append("")
        if self.steps:
            lines.append("**Cleaned:**")
            lines.append("")
            lines += [f"- {s}" for s in self.steps]
        else:
            lines.append("Nothing needed cleaning.")
        lines += ["", "*Your file was not changed.*"]
        return "\n".join(lines)
