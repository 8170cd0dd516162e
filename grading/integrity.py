"""What a tutor should know about each submission before trusting its marks.

nbgrader quietly restores a tampered locked cell and only logs a warning, so a tutor never
learns that a learner edited a test, changed its points or deleted it. Here each submitted
notebook is compared with the gradebook's record of the released cells (source, type, points,
checksums) before marking, and the execution is checked afterwards (time-outs, memory, a dead
kernel). The findings are saved per submission as JSON, flagged in the gradebook for the
Formgrader, and shown in the cohort report.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme


class Status(StrEnum):
    """How a submission's marking ended. A ``str``: saved records and reports keep the words."""

    PENDING = "pending"
    GRADED = "graded"
    GRADED_WITH_ISSUES = "graded-with-issues"  # marked, but the tutor should look (see issues)
    NOT_GRADED = "not-graded"  # could not be marked: nothing went into the gradebook


#: Kinds of finding, by how much a tutor should worry.
TAMPERING = "tampering"  # the learner changed what they were told not to change
FAILURE = "failure"  # the submission could not be marked normally
NOTICE = "notice"  # worth knowing, nothing wrong with the marking


@dataclass(frozen=True)
class Issue:
    """One finding about a submission, in words a tutor can act on."""

    code: str
    severity: str
    message: str
    notebook: str = ""
    cell: str = ""


@dataclass
class IntegrityRecord:
    """Everything found about one learner's submission of one assignment."""

    assignment: str
    learner: str
    status: str = Status.PENDING
    issues: list[Issue] = field(default_factory=list)
    seconds: float | None = None
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def flagged(self) -> bool:
        return any(issue.severity in (TAMPERING, FAILURE) for issue in self.issues)

    def add(
        self, code: str, severity: str, message: str, notebook: str = "", cell: str = ""
    ) -> None:
        self.issues.append(Issue(code, severity, message, notebook, cell))

    def codes(self) -> list[str]:
        return [issue.code for issue in self.issues]

    def to_json(self) -> str:
        data = asdict(self)
        data["flagged"] = self.flagged
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> IntegrityRecord:
        data = json.loads(text)
        data.pop("flagged", None)
        data["issues"] = [Issue(**issue) for issue in data.get("issues", [])]
        return cls(**data)

    def save(self, folder: Path) -> Path:
        path = folder / self.assignment / f"{self.learner}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())
        return path


def load_records(folder: Path, assignment: str | None = None) -> list[IntegrityRecord]:
    """Every saved integrity record (of one assignment, or all)."""
    pattern = f"{assignment}/*.json" if assignment else "*/*.json"
    return [IntegrityRecord.from_json(p.read_text()) for p in sorted(folder.glob(pattern))]


# -- the released assignment, as the gradebook knows it ------------------------------------
@dataclass(frozen=True)
class SourceCell:
    name: str
    cell_type: str
    locked: bool
    source: str
    checksum: str
    points: float | None  # grade and task cells
    solution: bool
    task: bool


@dataclass(frozen=True)
class NotebookSpec:
    name: str
    kernel: str | None
    cells: dict[str, SourceCell]


def assignment_spec(gb: Any, assignment: str) -> dict[str, NotebookSpec]:
    """Read what was released for an assignment from nbgrader's gradebook, once per run."""
    spec: dict[str, NotebookSpec] = {}
    for notebook in gb.find_assignment(assignment).notebooks:
        points = {c.name: c.max_score for c in notebook.grade_cells}
        points.update({c.name: c.max_score for c in notebook.task_cells})
        solutions = {c.name for c in notebook.solution_cells}
        tasks = {c.name for c in notebook.task_cells}
        cells = {
            c.name: SourceCell(
                c.name,
                c.cell_type,
                bool(c.locked),
                c.source,
                c.checksum,
                points.get(c.name),
                c.name in solutions,
                c.name in tasks,
            )
            for c in notebook.source_cells
        }
        kernel = json.loads(notebook.kernelspec).get("name") if notebook.kernelspec else None
        spec[notebook.name] = NotebookSpec(notebook.name, kernel, cells)
    return spec


def _kind(cell: SourceCell) -> str:
    if cell.task:
        return "task"
    if cell.points is not None and cell.solution:
        return "graded answer"
    if cell.points is not None:
        return "test cell"
    if cell.solution:
        return "answer cell"
    return "locked cell"


def _checksum(cell: SourceCell, source: str, cell_type: str | None = None) -> str:
    """nbgrader's checksum of a cell with this source but the released cell's settings."""
    meta = {
        "grade": cell.points is not None and not cell.task,
        "grade_id": cell.name,
        "locked": cell.locked,
        "solution": cell.solution,
        "task": cell.task,
    }
    if cell.points is not None:
        meta["points"] = cell.points
    node = nbformat.from_dict(
        {"cell_type": cell_type or cell.cell_type, "source": source, "metadata": {"nbgrader": meta}}
    )
    return utils.compute_checksum(node)


def _released_source(cell: SourceCell, config: Any = None) -> str:
    """The source learners were given: the gradebook's copy without hidden tests or mark
    scheme (nbgrader saves cells before clearing those regions)."""
    node = nbformat.from_dict({"cell_type": cell.cell_type, "source": cell.source, "metadata": {}})
    try:
        ClearHiddenTests(config=config, enforce_metadata=False)._remove_hidden_test_region(node)
        ClearMarkScheme(config=config, enforce_metadata=False)._remove_mark_scheme_region(node)
    except RuntimeError:  # unbalanced markers: nbgrader would have refused to release it
        return cell.source
    return node.source


def check_notebook(
    record: IntegrityRecord, spec: NotebookSpec, path: Path, config: Any = None
) -> NotebookNode | None:
    """Compare one submitted notebook with what was released; return it if it can be read."""
    name = spec.name
    if not path.is_file():
        record.add(
            "missing-notebook",
            NOTICE,
            f"{name}.ipynb was not submitted (nbgrader scores it 0).",
            name,
        )
        return None
    try:
        with warnings.catch_warnings():  # nbformat fixes duplicate cell ids with a warning
            warnings.simplefilter("ignore")
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # json errors, schema errors, binary junk: all the same remedy
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        record.add(
            "corrupted",
            FAILURE,
            f"{name}.ipynb is not a readable notebook ({detail}); it was not marked. Ask the "
            f"learner to submit it again — their file is kept unchanged at {path}.",
            name,
        )
        return None

    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if spec.kernel and kernel != spec.kernel:
        record.add(
            "wrong-kernel",
            NOTICE,
            f"the notebook asks for kernel {kernel!r}, not {spec.kernel!r}; it was run with "
            f"{spec.kernel!r} as released.",
            name,
        )

    by_id: dict[str, list[NotebookNode]] = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            by_id.setdefault(gid, []).append(cell)

    for gid, count in Counter({g: len(c) for g, c in by_id.items()}).items():
        if count > 1 and gid in spec.cells:
            record.add(
                "duplicate-id",
                TAMPERING,
                f"grade_id {gid!r} appears {count} times (a pasted copy?); the last one was "
                "marked, as nbgrader does, and the others ignored.",
                name,
                gid,
            )
    for gid in by_id:
        if gid not in spec.cells:
            record.add(
                "unknown-cell",
                NOTICE,
                f"a cell carries grade_id {gid!r}, which this assignment does not have; "
                "nbgrader ignored its metadata.",
                name,
                gid,
            )

    answered = False
    for cell in spec.cells.values():
        submitted = by_id.get(cell.name)
        if not submitted:
            _report_deleted(record, cell, name)
            continue
        sub = submitted[0]
        meta = sub.metadata.get("nbgrader", {})
        if sub.cell_type != cell.cell_type:
            record.add(
                "changed-type",
                TAMPERING,
                f"{_kind(cell)} {cell.name!r} was changed from {cell.cell_type} to "
                f"{sub.cell_type}; nbgrader changed it back.",
                name,
                cell.name,
            )
        if cell.points is not None and "points" in meta:
            try:
                new_points = float(meta["points"])
            except (TypeError, ValueError):
                new_points = None
            if new_points != float(cell.points):
                record.add(
                    "changed-points",
                    TAMPERING,
                    f"the points of {cell.name!r} were changed from {cell.points:g} to "
                    f"{meta['points']}; the released {cell.points:g} were used.",
                    name,
                    cell.name,
                )
        if cell.locked and not cell.solution:
            seen = _checksum(cell, sub.source)
            allowed = {cell.checksum, _checksum(cell, _released_source(cell, config))}
            if seen not in allowed:
                record.add(
                    "altered-cell",
                    TAMPERING,
                    f"locked {_kind(cell)} {cell.name!r} was edited; nbgrader marked the "
                    "released version instead (the learner's edit is kept in the submission).",
                    name,
                    cell.name,
                )
            if meta.get("locked") is False:
                record.add(
                    "unlocked-cell",
                    TAMPERING,
                    f"{_kind(cell)} {cell.name!r} was unlocked in its metadata; nbgrader "
                    "locked it again.",
                    name,
                    cell.name,
                )
        if cell.solution and _checksum(cell, sub.source, cell.cell_type) != cell.checksum:
            answered = True

    if any(c.solution for c in spec.cells.values()) and not answered:
        record.add(
            "empty",
            NOTICE,
            f"{name}.ipynb has no answers: every answer cell is exactly as released.",
            name,
        )
    return nb


def _report_deleted(record: IntegrityRecord, cell: SourceCell, notebook: str) -> None:
    restored = cell.points is not None or cell.task or (cell.locked and not cell.solution)
    if restored:
        message = (
            f"{_kind(cell)} {cell.name!r} was deleted (or its nbgrader metadata removed); it "
            "was put back from the gradebook and marked."
        )
        severity = TAMPERING
    else:
        message = (
            f"answer cell {cell.name!r} was deleted (or its nbgrader metadata removed); the "
            "tests ran against whatever code the learner left."
        )
        severity = NOTICE
    record.add("deleted-cell", severity, message, notebook, cell.name)


#: How errors in an executed notebook show that the run itself went wrong.
RUN_FAILURES = {
    "CellTimeoutError": (
        "cell-timeout",
        "a cell ran longer than the per-cell limit and was stopped",
    ),
    "MemoryError": ("memory", "the learner's code ran out of memory under the memory cap"),
}


def check_execution(record: IntegrityRecord, executed: NotebookNode, notebook: str) -> None:
    """Record time-outs and memory failures seen in an executed notebook's outputs."""
    for index, cell in enumerate(executed.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            found = RUN_FAILURES.get(output.get("ename", ""))
            if found:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
                where = repr(gid) if gid else f"#{index + 1}"
                record.add(found[0], FAILURE, f"{found[1]} (cell {where}).", notebook, gid)
