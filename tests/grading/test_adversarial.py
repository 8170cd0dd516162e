"""A cohort of mischievous learners: nothing a submission does costs a mark, a file or a run.

Each learner below answers the median question correctly and puts one attack where the
crossings answer belongs (issue 12 lists them: they all worked before the sandbox). The
cohort is autograded with ``qilab course autograde`` (sandbox on, the default), then feedback
is generated. Afterwards: every other learner's files, ``source/`` and the gradebook's other
rows are unchanged; each attack has a visible outcome a tutor can read; no process is left;
and the normal learners' marks equal plain ``nbgrader autograde``'s, cell by cell.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import psutil
import pytest
from attack_code import fork_bomb
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.course import Course
from qilab.grading.feedback import generate_feedback, read_feedback
from qilab.grading.results import load_gradebook

from qilab.cli import main as cli_main

pytestmark = pytest.mark.slow

A = synthetic.ASSIGNMENT
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
#: Put in every process an attacker starts, so the test can find any that survive.
MARKER = "qilab-adversary-7f3a"

NORMAL = {"normal": "solution", "partial": "partial"}
VICTIMS = {"victim": "solution", "victim2": "solution"}


def attacks(root: Path, parent_pid: int) -> dict[str, str]:
    """Attack code by learner id (it replaces the crossings answer cell)."""
    source = root / "source" / A / f"{A}.ipynb"
    gradebook = root / "gradebook.db"
    stolen = Path("/tmp") / f"{MARKER}-stolen"
    return {
        # 1. run the tutor's source notebook to define the answers (full marks for nothing)
        "runsource": f"""
import json
cells = json.load(open({str(source)!r}))["cells"]
for cell in cells:
    text = "".join(cell["source"])
    if cell["cell_type"] == "code" and "BEGIN SOLUTION" in text:
        exec(text.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
""",
        # 2. copy the solutions, the gradebook and the config out of the course
        "copyout": f"""
import os, shutil
os.makedirs({str(stolen)!r}, exist_ok=True)
shutil.copytree({str(root / "source")!r}, {str(stolen / "source")!r})
shutil.copy({str(gradebook)!r}, {str(stolen)!r})
shutil.copy({str(root / "nbgrader_config.py")!r}, {str(stolen)!r})
""",
        # 3. print the source, base64-encoded, so that it lands in the feedback page
        "leak": f"""
import base64
print(base64.b64encode(open({str(source)!r}, "rb").read()).decode())
""",
        # 4. overwrite another learner's submission with the blank release
        "overwrite": f"""
import shutil
shutil.copy({str(root / "release" / A / f"{A}.ipynb")!r},
            {str(root / "submitted" / "victim" / A / f"{A}.ipynb")!r})
open({str(root / "planted.txt")!r}, "w").write("dropped in the course folder")
""",
        # 5. delete another learner's marked work
        "delete": f"""
import shutil
shutil.rmtree({str(root / "autograded" / "victim2")!r})
""",
        # 6. rewrite the gradebook, then zero it
        "gradebook": f"""
import sqlite3
db = sqlite3.connect({str(gradebook)!r})
db.execute("UPDATE student SET last_name = 'Hacked'")
db.execute("UPDATE grade SET manual_score = 0")
db.commit()
db.close()
open({str(gradebook)!r}, "w").close()
""",
        # 7. kill the autograde process (and anything else in reach)
        "killer": f"""
import os, signal
for how in (lambda: os.kill({parent_pid}, signal.SIGKILL),
            lambda: os.killpg(os.getpgid({parent_pid}), signal.SIGKILL),
            lambda: os.kill(os.getppid(), signal.SIGKILL)):
    try:
        how()
    except Exception as exc:
        print("blocked:", type(exc).__name__)
""",
        # 8. leave detached processes behind, and try a (bounded) fork bomb
        "forker": fork_bomb(MARKER),
        # 9. print 100 MB
        "flood": """
chunk = "x" * 1_000_000
for _ in range(100):
    print(chunk)
""",
        # 10. the same through display updates, which replace an output instead of adding one
        "updater": """
handle = display("small", display_id=True)
handle.update("y" * 60_000_000)
""",
    }


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def gradebook_rows(course: Course, learners: list[str]) -> dict[str, object]:
    """Learners' names and every grade, from the gradebook (read with SQLite itself)."""
    db = sqlite3.connect(course.root / "gradebook.db")
    try:
        students = db.execute(
            "SELECT id, first_name, last_name, email FROM student ORDER BY id"
        ).fetchall()
        grades = db.execute(
            "SELECT s.student_id, c.name, g.auto_score, g.manual_score FROM grade g "
            "JOIN base_cell c ON g.cell_id = c.id "
            "JOIN submitted_notebook n ON g.notebook_id = n.id "
            "JOIN submitted_assignment s ON n.assignment_id = s.id ORDER BY 1, 2"
        ).fetchall()
    finally:
        db.close()
    return {
        "students": students,
        "grades": [row for row in grades if row[0] in learners],
    }


def cell_scores(course: Course, learners: list[str]) -> dict[tuple[str, str], object]:
    grades = load_gradebook(course).grades
    return {
        (row.learner, row.cell): (
            None if row.auto_score != row.auto_score else row.auto_score,
            bool(row.needs_manual_grade),
        )
        for row in grades.itertuples()
        if row.learner in learners
    }


def survivors() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if MARKER in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def attack_notebook(released: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    nb = synthetic.submission(released, "solution")
    cell = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "crossings_answer"
    )
    cell.source = code
    return nb


def test_a_cohort_of_attackers_changes_nothing_but_their_own_marks(
    make_course, place, released, tmp_path
):
    names = list(attacks(Path("/x"), 0))
    course = make_course([*NORMAL, *VICTIMS, *names], cell_timeout=30, memory_limit_mb=1024)
    root = course.root
    for learner, kind in {**NORMAL, **VICTIMS}.items():
        place(course, learner, kind)
    # The victims are marked first, so that there is marked work to attack.
    first = autograde(course, A, learners=list(VICTIMS), workers=2, progress=False)
    assert {o.learner: o.score for o in first.outcomes} == {"victim": 5.0, "victim2": 5.0}

    notebook = released(course)
    for learner, code in attacks(root, os.getpid()).items():
        folder = root / "submitted" / learner / A
        folder.mkdir(parents=True)
        nbformat.write(attack_notebook(notebook, code), folder / f"{A}.ipynb")

    protected = ["source", "release", "submitted", "autograded", "nbgrader_config.py"]
    before = {
        part: tree(root / part) if (root / part).is_dir() else sha(root / part)
        for part in protected
    }
    rows_before = gradebook_rows(course, list(VICTIMS))
    # A copy for plain nbgrader, holding only the normal learners (never run attacks unboxed).
    plain = tmp_path / "plain"
    shutil.copytree(root, plain)
    for learner in [*names, *VICTIMS]:
        shutil.rmtree(plain / "submitted" / learner)

    report = autograde(course, A, workers=2, progress=False)
    assert not (Path("/tmp") / f"{MARKER}-stolen").exists()

    # -- nothing outside each learner's own marks changed -----------------------------------
    for part in protected:
        now = tree(root / part) if (root / part).is_dir() else sha(root / part)
        if part == "autograded":  # new marked work appears; the victims' is untouched
            now = {k: v for k, v in now.items() if k.split("/")[0] in VICTIMS}
            was = {k: v for k, v in before[part].items() if k.split("/")[0] in VICTIMS}
            assert now == was
        else:
            assert now == before[part], part
    assert not (root / "planted.txt").exists()
    assert (root / "gradebook.db").stat().st_size > 0
    assert gradebook_rows(course, list(VICTIMS)) == rows_before
    assert not survivors(), "processes started by a learner outlived the run"

    # -- each attack failed inside its sandbox, visibly ------------------------------------
    outcome = {o.learner: o for o in report.outcomes}
    scores = cell_scores(course, names)
    for learner in names:
        assert outcome[learner].status != "not-graded", (learner, outcome[learner].line())
        assert scores[(learner, "median_tests")] == (2.0, False), learner
    for learner in ("runsource", "copyout", "leak", "overwrite", "delete", "gradebook"):
        assert scores[(learner, "crossings_tests")] == (0.0, False), learner
        text = marked_text(course, learner)  # the course is not there, in the sandbox
        assert "No such file or directory" in text or "unable to open database" in text, learner
    assert "blocked: ProcessLookupError" in marked_text(course, "killer")
    forker = marked_text(course, "forker")
    stopped = int(forker.split("stopped after ", 1)[1].split()[0])
    assert stopped < 300, "the process cap did not stop the fork bomb"
    flood = root / "autograded" / "flood" / A / f"{A}.ipynb"
    assert flood.stat().st_size < 20_000_000  # 100 MB printed; the marked notebook is small
    assert "output-limit" in outcome["flood"].record.codes()
    assert "output stopped here" in flood.read_text()
    assert "output-limit" in str(report)  # the tutor is told, on the learner's line
    assert "byte limit per cell" in outcome["flood"].record.to_json()
    updater = root / "autograded" / "updater" / A / f"{A}.ipynb"
    assert updater.stat().st_size < 20_000_000  # a 60 MB display update; the notebook is small
    assert "output-limit" in outcome["updater"].record.codes()

    # -- feedback for everyone, no leak (the base64 print is caught too) -------------------
    feedback = generate_feedback(course, A, release=False)
    assert not feedback.withheld, feedback
    hidden = base64.b64encode(synthetic.HIDDEN_MARKER.encode()).decode()[:16]
    for page in feedback.pages:
        assert synthetic.HIDDEN_MARKER not in read_feedback(page)
        assert hidden not in page.read_text()
        assert page.stat().st_size < 20_000_000

    # -- the normal learners' marks are plain nbgrader's, cell by cell ---------------------
    done = subprocess.run(
        [NBGRADER, "autograde", A], cwd=plain, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert cell_scores(course, list(NORMAL)) == cell_scores(Course.open(plain), list(NORMAL))


def marked_text(course: Course, learner: str) -> str:
    nb = nbformat.read(course.root / "autograded" / learner / A / f"{A}.ipynb", 4)
    return "\n".join(
        str(out.get("text", "")) + str(out.get("evalue", "")) + "".join(out.get("traceback", []))
        for cell in nb.cells
        for out in cell.get("outputs", [])
    )


def test_without_a_sandbox_autograde_refuses_in_one_line(make_course, place, monkeypatch, capsys):
    from qilab.grading import sandbox

    course = make_course(["d1"])
    place(course, "d1", "solution")
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)  # as on a machine without bubblewrap
    sandbox.probe.cache_clear()
    try:
        status = cli_main(["course", "autograde", A, "-C", str(course.root), "--no-progress"])
        err = capsys.readouterr().err.strip()
        assert status != 0
        assert len(err.splitlines()) == 1, err
        assert "bubblewrap" in err and "--no-sandbox" in err and "solutions" in err
        assert not (course.root / "autograded" / "d1").exists()  # nothing was run
        # The explicit opt-out marks as before.
        status = cli_main(
            ["course", "autograde", A, "-C", str(course.root), "--no-progress", "--no-sandbox"]
        )
        assert status == 0
        assert (course.root / "autograded" / "d1" / A / f"{A}.ipynb").is_file()
    finally:
        sandbox.probe.cache_clear()


def test_feedback_withholds_a_base64_copy_of_the_source_the_second_line(
    make_course, place, released
):
    """Were the sandbox off (the tutor's --no-sandbox), a learner could read source/ and print
    it base64-encoded; the feedback check decodes it and withholds the page."""
    course = make_course(["leak", "normal"])
    place(course, "normal", "solution")
    code = attacks(course.root, 0)["leak"]
    folder = course.root / "submitted" / "leak" / A
    folder.mkdir(parents=True)
    nbformat.write(attack_notebook(released(course), code), folder / f"{A}.ipynb")
    autograde(course, A, workers=1, progress=False, sandbox=False)
    marked = marked_text(course, "leak")
    assert base64.b64encode(b'{\n "cells"').decode()[:8] in marked  # the copy was printed
    # the written answers are not marked yet: provisional pages, so every page is checked
    report = generate_feedback(course, A, release=False, provisional=True)
    assert [p.parent.parent.name for p in report.pages] == ["normal"]
    (withheld,) = report.withheld
    assert "leak" in withheld and "hidden tests" in withheld
    assert not (course.root / "feedback" / "leak" / A / f"{A}.html").exists()
