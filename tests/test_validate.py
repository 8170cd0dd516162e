"""nbgrader's Validate, as a learner's ``qilab lab`` serves it: plain words, never a traceback.

A real ``qilab lab`` on a throw-away copy of the course; the learner's notebook is fetched
through the Assignment List's own endpoint, and ``POST /assignments/validate`` (what the
Validate button calls) runs it with nbgrader and QI Lab's course config. An unanswered
notebook names each unanswered question and the fix; a wrong answer still gets the
assignment's own assertion message; a typing mistake and a missing library are named in the
cell where they are; a notebook nbgrader cannot read is one message.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
from servers import REPO, Server, course_copy, qilab_lab

pytestmark = [pytest.mark.slow]

ASSIGNMENT = "foundation_measurement"
WORK = f"my-work/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SOURCE = REPO / "assignments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
#: What nbgrader's raw errors look like: traceback frames, ANSI colours, exception names.
RAW = re.compile(r"Traceback|\x1b\[|Cell In\[|-{20}|NameError")


def post(server: Server, path: str, body: dict[str, str]) -> dict:
    request = urllib.request.Request(
        server.url(path),
        data=urllib.parse.urlencode(body).encode(),
        headers={"Authorization": f"token {server.token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


def fetch(server: Server) -> None:
    request = urllib.request.Request(
        server.url("assignments/fetch"),
        data=json.dumps({"course_id": "qilab", "assignment_id": ASSIGNMENT}).encode(),
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert json.load(response)["success"]


def validate(server: Server) -> dict:
    """What the Validate button receives for the learner's notebook."""
    answer = post(server, "assignments/validate", {"path": WORK})
    assert answer["success"], answer
    return answer["value"]


def solutions() -> dict[str, str]:
    """The model answers (solution regions of the source notebook), by grade id."""
    answers = {}
    for cell in nbformat.read(SOURCE, 4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            lines = [ln for ln in cell.source.split("\n") if "### " not in ln]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def answer(path: Path, answers: dict[str, str]) -> None:
    """Write ``answers`` into the learner's answer cells (as typing them in would)."""
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, path)


def errors(result: dict) -> list[str]:
    """Each failed cell's message as the dialog shows it, its line breaks made spaces."""
    return [" ".join(failed["error"].split()) for failed in result.get("failed", [])]


def test_validate_names_the_real_problem_and_the_fix_without_a_traceback(tmp_path):
    course = course_copy(tmp_path / "course")
    with qilab_lab(tmp_path, None, root=course) as server:
        assert "Validate explains failed checks in plain words" in server.output()
        assert "Loading the validate_assignment nbgrader serverextension" not in server.output()
        fetch(server)
        notebook = course / WORK

        # As fetched: no question answered. Every check names its unanswered question.
        # The two written answers keep nbgrader's own (plain) words.
        unanswered = errors(validate(server))
        written = [t for t in unanswered if t == "You did not provide a response."]
        assert len(written) == 2, unanswered
        unanswered = [t for t in unanswered if t not in written]
        assert len(unanswered) == 11, unanswered
        for text in unanswered:
            assert not RAW.search(text), text
            assert "still says `raise NotImplementedError()`" in text, text
            assert "replace that line with your answer" in text, text
        assert "`measure_types`" in unanswered[0]
        assert "Question 1 · What kind of measure is it?" in unanswered[0]
        assert "`baseline_median`" in unanswered[2]
        assert "Question 3 · The baseline median" in unanswered[2]

        # Answered, with a wrong answer, a missing library and a typing mistake.
        answers = solutions()
        answers["q1_answer"] = answers["q1_answer"].replace('"F": "balancing",', "")
        answers["q3_answer"] = "import seaborn\n" + answers["q3_answer"]
        answers["q4_answer"] = answers["q4_answer"].replace(
            "baseline_signal = bool(", "baseline_signal = bool(("
        )
        answer(notebook, answers)
        mixed = [t for t in errors(validate(server)) if t != "You did not provide a response."]
        joined = "\n".join(mixed)
        assert not RAW.search(joined), joined
        # The wrong answer: the assignment's own feedback, in the check's words.
        assert mixed[0].startswith("The check says: Give a label for each of the keys A to F.")
        # The missing library, named in the question whose answer imports it.
        median = next(t for t in mixed if "`baseline_median`" in t)
        assert "Question 3 · The baseline median" in median
        assert "imports `seaborn`, which QI Lab does not have" in median
        # The typing mistake: the question, the line and what to check.
        runs = next(t for t in mixed if "`baseline_crossings`" in t)
        assert "Question 4 · Runs and crossings in the baseline" in runs
        assert "typing mistake Python cannot read on its line 4" in runs
        assert "Check the brackets" in runs

        # The model answers pass every check (only the written answers are left to do).
        answer(notebook, solutions())
        assert set(errors(validate(server))) == {"You did not provide a response."}

        # A notebook nbgrader cannot read at all: one message, success false, no traceback.
        notebook.write_text("{ this is not a notebook", encoding="utf-8")
        broken = post(server, "assignments/validate", {"path": WORK})
        assert broken["success"] is False
        assert broken["value"].startswith("Validate could not run this notebook")
        assert not RAW.search(broken["value"]), broken["value"]
