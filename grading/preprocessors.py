"""nbgrader preprocessors that make autograding fair and robust for cohorts.

They are named in each course's ``nbgrader_config.py``, so plain ``nbgrader autograde`` and
``qilab course autograde`` run exactly the same pipeline:

- :class:`RestoreMissingCells` (sanitising, before ``OverwriteCells``): a learner who deletes a
  test cell would otherwise leave that grade at 'needs manual grade' for ever; the cell is put
  back from the gradebook, where it belongs, and the work is marked.
- :class:`FairWarnings` (after ``Execute``): nbgrader fails any graded cell that wrote to stderr,
  so a pandas ``FutureWarning`` or an Altair deprecation notice would zero a correct answer.
  Python warnings move to stdout; anything else on stderr still fails, as nbgrader intends.
- :class:`DeduplicateIds` (sanitising, in place of nbgrader's): nbgrader 0.9 keeps the last of
  several cells sharing a ``grade_id`` but leaves ``nbgrader: {}`` on the others, which its own
  metadata check then rejects — so one pasted copy of a test cell made the whole submission
  unmarkable. Here the copies simply stop being nbgrader cells.
- :class:`ReplayExecution` (parallel autograding only): stands in for ``Execute`` when a worker
  process has already run the notebook, so the rest of nbgrader's pipeline — saving grades,
  late penalties — runs unchanged in the one process that writes the gradebook.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import DeduplicateIds as NbgraderDeduplicateIds
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

#: The first line Python's warnings module prints: ``path:line: SomeWarning: message``.
WARNING_HEADER = re.compile(r"^.+?:\d+: [A-Za-z_][A-Za-z0-9_.]*Warning: ", re.MULTILINE)


def split_warnings(text: str) -> tuple[str, str]:
    """Split stderr text into (anything before the first warning, the warnings).

    Everything from the first warning header on belongs to warnings: their messages may span
    several lines (pandas' SettingWithCopyWarning does) and the source line follows them.

    Examples
    --------
    >>> split_warnings("/x.py:3: FutureWarning: old API\\n  df.append(row)\\n")
    ('', '/x.py:3: FutureWarning: old API\\n  df.append(row)\\n')
    >>> split_warnings("boom\\n")
    ('boom\\n', '')
    """
    match = WARNING_HEADER.search(text)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.start() :]


class FairWarnings(NbGraderPreprocessor):
    """Move Python warnings from stderr to stdout so they cannot fail a correct answer."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], cell_index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code" or not cell.get("outputs"):
            return cell, resources
        outputs: list[NotebookNode] = []
        for output in _merge_stderr(cell.outputs):
            if output.output_type == "stream" and output.name == "stderr":
                other, warned = split_warnings(output.text)
                if warned:
                    if other.strip():
                        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=other))
                    outputs.append(nbformat.v4.new_output("stream", name="stdout", text=warned))
                    continue
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


class DeduplicateIds(NbgraderDeduplicateIds):
    """nbgrader's rule (the last cell with a grade_id wins), minus its empty-metadata bug."""

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], cell_index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources


def _merge_stderr(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """Join consecutive stderr chunks (a kernel may flush one warning in pieces)."""
    merged: list[NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.output_type == "stream"
            and output.name == "stderr"
            and previous.output_type == "stream"
            and previous.name == "stderr"
        ):
            previous.text += output.text
        else:
            merged.append(nbformat.from_dict(dict(output)))
    return merged


def _release_order(preprocessor: NbGraderPreprocessor, assignment: str, notebook: str) -> list[str]:
    """grade_ids in the order of the released notebook (the gradebook keeps no order)."""
    coursedir = None
    parent = preprocessor.parent
    while parent is not None and coursedir is None:
        coursedir = getattr(parent, "coursedir", None)
        parent = getattr(parent, "parent", None)
    if coursedir is not None:
        folder = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    else:  # nbgrader's converters run from the course root
        folder = Path("release") / assignment
    path = folder / f"{notebook}.ipynb"
    if not path.is_file():
        return []
    released = nbformat.read(path, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in released.cells if _grade_id(c)]


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class RestoreMissingCells(NbGraderPreprocessor):
    """Put back graded and locked cells that a learner deleted, in their released place.

    Plain answer cells (solution cells that are not graded) are left alone: a learner may have
    moved that code elsewhere, and a restored stub would overwrite it. Restored cells carry
    ``metadata.qilab_restored = True`` so the integrity report and feedback can say so.
    """

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            graded = {c.name: c for c in source_nb.grade_cells}
            tasks = {c.name: c for c in source_nb.task_cells}
            solutions = {c.name for c in source_nb.solution_cells}
            wanted = {
                cell.name: cell
                for cell in source_nb.source_cells
                if cell.name in graded
                or cell.name in tasks
                or (cell.locked and cell.name not in solutions)
            }
            order = _release_order(self, info["assignment"], info["notebook"])
            order += [
                name for name in (c.name for c in source_nb.source_cells) if name not in order
            ]
            present = {_grade_id(c) for c in nb.cells} - {None}
            for name in order:
                if name in wanted and name not in present:
                    points = graded[name].max_score if name in graded else None
                    if name in tasks:
                        points = tasks[name].max_score
                    cell = _rebuild(wanted[name], points, name in solutions, name in tasks)
                    nb.cells.insert(_position(nb, order, name), cell)
                    present.add(name)
                    self.log.warning("Restored deleted cell %s", name)
        return nb, resources


def _position(nb: NotebookNode, order: list[str], name: str) -> int:
    """Just after the nearest earlier source cell still present, else before a later one."""
    index = {gid: i for i, c in enumerate(nb.cells) if (gid := _grade_id(c))}
    at = order.index(name)
    for earlier in reversed(order[:at]):
        if earlier in index:
            return index[earlier] + 1
    for later in order[at + 1 :]:
        if later in index:
            return index[later]
    return len(nb.cells)


def _rebuild(source_cell: Any, points: float | None, solution: bool, task: bool) -> NotebookNode:
    meta: dict[str, Any] = {
        "grade": points is not None and not task,
        "grade_id": source_cell.name,
        "locked": bool(source_cell.locked),
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    metadata = {"nbgrader": meta, "qilab_restored": True}
    if source_cell.cell_type == "code":
        return nbformat.v4.new_code_cell(source_cell.source, metadata=metadata)
    return nbformat.v4.new_markdown_cell(source_cell.source, metadata=metadata)


#: Beside each executed notebook in the replay folder: the sanitised one the worker was sent.
SANITISED_SUFFIX = ".sanitised.ipynb"


def _replayed(results_dir: str, resources: dict[str, Any], suffix: str) -> Path:
    info = resources["nbgrader"]
    folder = Path(results_dir, info["student"], info["assignment"])
    path = folder / f"{info['notebook']}{suffix}"
    if not path.is_file():
        raise RuntimeError(f"no notebook for {info['student']} at {path}")
    return path


class ReplaySanitised(NbGraderPreprocessor):
    """Use the notebook the marking process sanitised before sending it to a worker.

    It replaces the whole sanitise list when nbgrader's ``Autograde`` records a submission a
    worker executed: sanitising it a second time (the same steps on the same submission and
    gradebook) would cost a tenth of a second a learner and change nothing.
    """

    results_dir = Unicode("", help="folder of sanitised notebooks: {student}/{assignment}/").tag(
        config=True
    )

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        path = _replayed(self.results_dir, resources, SANITISED_SUFFIX)
        return nbformat.read(path, as_version=4), resources


class ReplayExecution(NbGraderPreprocessor):
    """Use a notebook a worker process already executed, in place of nbgrader's ``Execute``.

    The worker was sent exactly the sanitised notebook this preprocessor receives; the cells
    are compared to be sure before the executed copy is handed on.
    """

    results_dir = Unicode("", help="folder of executed notebooks: {student}/{assignment}/").tag(
        config=True
    )

    def preprocess(
        self, nb: NotebookNode, resources: dict[str, Any]
    ) -> tuple[NotebookNode, dict[str, Any]]:
        path = _replayed(self.results_dir, resources, ".ipynb")
        executed = nbformat.read(path, as_version=4)
        expected = [(c.cell_type, c.source) for c in nb.cells]
        if [(c.cell_type, c.source) for c in executed.cells] != expected:
            raise RuntimeError(
                f"the executed notebook at {path} does not match the sanitised submission"
            )
        return executed, resources


def is_graded_test(cell: NotebookNode) -> bool:
    """An autograded test cell: graded, code, not the learner's own answer."""
    return utils.is_grade(cell) and not utils.is_solution(cell) and cell.cell_type == "code"
