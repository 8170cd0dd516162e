"""Why a cell failed, in words a doctor can act on: one place for Validate's and feedback's.

A learner meets nbgrader's errors in two places: the *Validate* button (their own work, before
they submit) and the feedback page (after marking). Both show the Python traceback by default,
which a doctor cannot act on. This module is the one source of those sentences.

:func:`plain_reason` explains an error from its name and value alone (feedback, where each check
is summarised on its own). :func:`explain` explains a failed cell of a notebook nbgrader has just
run, looking at the cells above it, because the error a check shows is rarely where the problem
is. Validate saves the notebook and runs it **from the top in a fresh Python**, so an unanswered
question (its cell still says ``raise NotImplementedError()``) or a typing mistake in an answer
shows up only as ``NameError: name 'baseline' is not defined`` in the checks that follow; the
sentence names the cell that really failed and how to fix it.

Examples
--------
>>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
>>> answer = new_code_cell("# YOUR CODE HERE\\nraise NotImplementedError()", outputs=[
...     new_output("error", ename="NotImplementedError", evalue="", traceback=[])])
>>> answer.metadata["nbgrader"] = {"solution": True}
>>> check = new_code_cell("assert baseline > 0", outputs=[new_output(
...     "error", ename="NameError", evalue="name 'baseline' is not defined", traceback=[])])
>>> nb = new_notebook(cells=[new_markdown_cell("## Question 3 · The baseline (1 mark)"),
...                          answer, check])
>>> print(explain(nb, 2))
This check uses `baseline`, which your answer under “Question 3 · The baseline” should set, but
that cell still says `raise NotImplementedError()`: replace that line with your answer. Then
Validate again.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from nbconvert.filters import strip_ansi

#: Messages are wrapped to this width: nbgrader's Validate dialog shows them in a <pre> block.
WIDTH = 96

#: Plain-words explanations of the errors a test cell most often shows (feedback's wording).
REASONS: dict[str, str] = {
    "NameError": "{evalue}. Define it in your answer cell, spelled exactly as the question asks, "
    "and run that cell.",
    "NotImplementedError": "your answer cell still says `raise NotImplementedError()`. Replace "
    "that line with your answer.",
    "CellTimeoutError": "the check ran out of time. Look for a loop that never ends.",
    "SubmissionTimeout": "{evalue}",
    "MemoryError": "your code used more memory than a submission may. Look for a loop that keeps "
    "adding to a list or table.",
    "DeadKernelError": "{evalue}",
}

#: Errors Python raises when it cannot read a cell at all.
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")

#: The libraries the course's assignments use (all installed with QI Lab).
COURSE_LIBRARIES = "pandas, numpy, altair and qilab"

#: What to add to any message about Validate: what it sees, and how to see the same.
RERUN = "Kernel → Restart Kernel and Run All Cells shows you what Validate sees."

#: When Validate itself could not run the notebook (nbgrader raised instead of reporting cells).
COULD_NOT_RUN = (
    "Validate could not run this notebook ({detail}). Save it, choose Kernel → Restart Kernel "
    "and Run All Cells to find the cell that fails, fix it, then Validate again."
)
KERNEL_DIED = (
    "Python stopped while Validate was running your notebook, usually because a cell used too "
    "much memory or never finishes. Look for a loop that keeps adding to a list or table, fix "
    "it, then Validate again."
)
OLD_FORMAT = (
    "This notebook was made for an older nbgrader than QI Lab's. Keep a copy of your answers, "
    "fetch the assignment again from the Assignment List (or ask your tutor for a new copy), "
    "and paste your answers in."
)
NEW_FORMAT = (
    "This notebook was made for a newer nbgrader than QI Lab's. Ask your tutor for a copy made "
    "for this course."
)


def plain_reason(ename: str, evalue: str) -> str:
    """Say in plain words why a check failed, from the error it raised.

    Examples
    --------
    >>> plain_reason("AssertionError", "the median should be 12")
    'the check says: the median should be 12.'
    >>> plain_reason("AssertionError", "")[:40]
    'your answer did not give the result this'
    """
    evalue = (evalue or "").strip()
    if ename == "AssertionError":
        if evalue:
            return f"the check says: {evalue.rstrip('.')}."
        return (
            "your answer did not give the result this check expects. Re-read the question and "
            "try your code on the examples it gives."
        )
    if ename in REASONS:
        return REASONS[ename].format(evalue=evalue)
    detail = f" ({evalue})" if evalue else ""
    return f"your code raised {ename}{detail} when the check used it."


@dataclass(frozen=True)
class CellError:
    """The first error a code cell stopped with: its name, value, and the line (1-based)."""

    ename: str
    evalue: str
    line: int | None = None
    text: str = ""


def cell_error(cell: Any) -> CellError | None:
    """The error a run cell shows, or None.

    >>> from nbformat.v4 import new_code_cell, new_output
    >>> tb = ["  Cell In[3], line 2\\n    \\"B\\": 1\\n    ^\\nSyntaxError: incomplete input\\n"]
    >>> cell_error(new_code_cell("x = {\\n\\"B\\": 1", outputs=[new_output(
    ...     "error", ename="SyntaxError", evalue="incomplete input (1.py, line 2)", traceback=tb)]))
    CellError(ename='SyntaxError', evalue='incomplete input', line=2, text='"B": 1')
    """
    if cell.get("cell_type") != "code":
        return None
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        ename, evalue = output.get("ename", ""), output.get("evalue", "")
        frames = strip_ansi("\n".join(output.get("traceback", [])))
        lines = re.findall(r"Cell In\[\d+\], line (\d+)", frames)
        line = int(lines[-1]) if lines else None
        if ename in SYNTAX_ERRORS:
            where = re.search(r"\s*\([^()]*, line (\d+)\)$", evalue)
            if where:
                line = int(where.group(1))
                evalue = evalue[: where.start()]
        source = str(cell.get("source", "")).split("\n")
        text = source[line - 1].strip() if line and 0 < line <= len(source) else ""
        return CellError(ename, evalue.strip(), line, text)
    return None


def names_set(source: str) -> set[str]:
    """Names a cell sets at the top level (assignment, ``def``, ``class``, ``import``, ``for``).

    Function bodies are not looked into: what they set is not visible to later cells. A cell
    Python cannot read is scanned line by line for ``name =`` and ``def name``.

    >>> sorted(names_set("import numpy as np\\nbase = 1\\ndef f(x):\\n    inner = 2"))
    ['base', 'f', 'np']
    >>> sorted(names_set("baseline = {\\n'A': 1"))
    ['baseline']
    """
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        found = re.findall(r"^(?:def\s+|class\s+)?([A-Za-z_]\w*)\s*(?:=[^=]|\()", source, re.M)
        return set(found)
    names: set[str] = set()
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _without_magics(source: str) -> str:
    """IPython's ``%magic`` and ``!shell`` lines blanked, so the rest can be parsed."""
    return "\n".join("" if re.match(r"\s*[%!]", ln) else ln for ln in source.split("\n"))


def where(nb: Any, index: int) -> str:
    """How to find a cell: the heading of the section it is in, else its number.

    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> nb = new_notebook(cells=[new_markdown_cell("## Question 2 · Runs (2 marks)\\nText"),
    ...                          new_code_cell("x = 1")])
    >>> where(nb, 1)
    'under “Question 2 · Runs”'
    >>> where(new_notebook(cells=[new_code_cell("x = 1")]), 0)
    'in cell 1'
    """
    for cell in reversed(nb.cells[:index]):
        if cell.get("cell_type") != "markdown":
            continue
        for line in str(cell.get("source", "")).split("\n"):
            if line.startswith("#"):
                title = line.lstrip("#").strip().replace("**", "").replace("*", "")
                title = re.sub(r"\s*\(\d+ marks?\)$", "", title)
                return f"under “{title}”"
    return f"in cell {index + 1}"


def what_went_wrong(error: CellError) -> str:
    """What stopped a cell, and the fix, as the end of a sentence ("that cell …").

    >>> what_went_wrong(CellError("ModuleNotFoundError", "No module named 'seaborn'", 1))[:50]
    'imports `seaborn`, which QI Lab does not have: che'
    >>> what_went_wrong(CellError("ZeroDivisionError", "division by zero", 3))
    'stopped on its line 3 with ZeroDivisionError (division by zero): fix that line'
    """
    if error.ename == "NotImplementedError":
        return "still says `raise NotImplementedError()`: replace that line with your answer"
    if error.ename in SYNTAX_ERRORS:
        on = f"its line {error.line}" if error.line else "one of its lines"
        shown = f" (`{error.text}`)" if error.text else ""
        detail = f": Python says “{error.evalue}”" if error.evalue else ""
        return (
            f"has a typing mistake Python cannot read on {on}{shown}{detail}. Check the brackets, "
            "quotes, commas, colons and indentation on that line and the one before it"
        )
    if error.ename == "ModuleNotFoundError":
        found = re.search(r"No module named '([^']+)'", error.evalue)
        module = found.group(1) if found else error.evalue
        if module.split(".")[0] == "qilab":
            return (
                f"imports `{module}`, which is not part of QI Lab: check its spelling against "
                "the question"
            )
        return (
            f"imports `{module}`, which QI Lab does not have: check its spelling, or do without "
            f"it (the course uses {COURSE_LIBRARIES})"
        )
    if error.ename == "NameError":
        name = _missing_name(error.evalue)
        return (
            f"stopped because it uses `{name}`, which is not set either: fix the first cell "
            "that fails, from the top"
        )
    if error.ename == "CellTimeoutError":
        return "ran out of time: look for a loop that never ends"
    on = f" on its line {error.line}" if error.line else ""
    detail = f" ({error.evalue})" if error.evalue else ""
    return f"stopped{on} with {error.ename}{detail}: fix that line"


def _missing_name(evalue: str) -> str:
    found = re.search(r"name '([^']+)' is not defined", evalue)
    return found.group(1) if found else evalue


def _is_solution(cell: Any) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def explain_missing_name(nb: Any, index: int, name: str) -> str:
    """Why ``name`` is not defined when cell ``index`` runs: the cell that should have set it.

    Validate runs every cell from the top, so "not defined" means an earlier cell that sets it
    failed, or the answer that should set it is unanswered, or it is set only further down, or
    nowhere (set once in a cell since deleted or renamed, or spelt differently).
    """
    code = [(i, c) for i, c in enumerate(nb.cells) if c.get("cell_type") == "code"]
    above = [(i, c) for i, c in code if i < index]
    setters = [i for i, c in above if name in names_set(str(c.source))]
    uses = f"This check uses `{name}`"
    if setters:
        error = cell_error(nb.cells[setters[-1]])
        if error is not None:
            return (
                f"{uses}, which is set in the cell {where(nb, setters[-1])}, but that cell "
                f"{what_went_wrong(error)}. Then Validate again."
            )
    failed_answers = [i for i, c in above if _is_solution(c) and cell_error(c) is not None]
    if failed_answers:
        i = failed_answers[-1]
        error = cell_error(nb.cells[i])
        assert error is not None
        return (
            f"{uses}, which your answer {where(nb, i)} should set, but that cell "
            f"{what_went_wrong(error)}. Then Validate again."
        )
    below = [i for i, c in code if i > index and name in names_set(str(c.source))]
    if below:
        return (
            f"{uses}, but it is set only further down, in the cell {where(nb, below[0])}. "
            f"Validate runs your notebook from the top, so set `{name}` in your answer above "
            "this check. Then Validate again."
        )
    known = set().union(*(names_set(str(c.source)) for _, c in above)) if above else set()
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    meant = f" (did you mean `{close[0]}`?)" if close else ""
    return (
        f"{uses}, but no cell above it sets `{name}`{meant}. Validate runs your saved notebook "
        "from the top in a fresh Python, so a name you set in a cell you have since deleted or "
        f"changed does not exist there. Set `{name} = …` in your answer cell, then Validate "
        f"again. {RERUN}"
    )


def explain(nb: Any, index: int) -> str | None:
    """The plain message for cell ``index`` of a notebook nbgrader has just run, or None.

    None means the cell shows no error (nbgrader's own words — "partial credit", "you did not
    provide a response" — are already plain). A wrong answer gives the check's own assertion
    message, which the assignment's author wrote as the learner's feedback.
    """
    cell = nb.cells[index]
    error = cell_error(cell)
    if error is None:
        return None
    if error.ename == "NameError":
        message = explain_missing_name(nb, index, _missing_name(error.evalue))
    elif error.ename in (*SYNTAX_ERRORS, "ModuleNotFoundError", "NotImplementedError"):
        message = f"This cell {what_went_wrong(error)}. Then Validate again."
    else:
        reason = plain_reason(error.ename, error.evalue)
        message = reason[0].upper() + reason[1:]
    return wrap(message)


def wrap(message: str) -> str:
    """Lines of at most :data:`WIDTH` characters (Validate shows them in a <pre> block)."""
    return "\n".join(
        textwrap.fill(part, WIDTH, break_long_words=False, break_on_hyphens=False)
        for part in message.split("\n")
    )
