"""Autograde as tutors run it: as an ordinary user, never as root.

The rest of the suite runs as whatever user runs it — root on the CI machine — where the
process cap is a ``pids`` control group. A tutor's own computer (or the academy's marking VM)
runs ``qilab course autograde`` as a normal user: bubblewrap then makes its namespaces without
privilege, and the process cap is ``RLIMIT_NPROC``. This test runs the real command as such a
user (``nobody``, through ``setpriv``, when the suite runs as root; as itself otherwise) on a
cohort with a fork bomb, a memory bomb and a learner who tries to kill the autograder, and
checks what the tutor would: the run finishes, every learner is marked, each attack is stopped
with a reason, the gradebook is where it was, and no learner's process survives.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import psutil
import pytest
from attack_code import fork_bomb
from qilab.grading import synthetic
from qilab.grading.course import Course, init_course
from qilab.grading.release import release
from qilab.grading.results import load_gradebook

pytestmark = pytest.mark.slow

A = synthetic.ASSIGNMENT
MARKER = "qilab-non-root-3c9e"
NOBODY = 65534
QILAB = str(Path(sys.executable).parent / "qilab")

ATTACKS = {
    "forker": fork_bomb(MARKER, detached=1),
    "killer": """
import os, signal
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
""",
}


def as_ordinary_user() -> tuple[list[str], int]:
    """The command prefix that drops root (none when the suite is not root), and the uid."""
    if os.geteuid() != 0:
        return [], os.geteuid()
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to run autograde as a non-root user"
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"], NOBODY


def attack(released: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    nb = synthetic.submission(released, "solution")
    cell = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "crossings_answer"
    )
    cell.source = code
    return nb


def survivors(uid: int) -> list[str]:
    found = []
    for proc in psutil.process_iter(["cmdline", "uids"]):
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:  # dead, waiting for init to reap it
                continue
            line = " ".join(proc.info["cmdline"] or [])
            if MARKER in line or (uid != os.geteuid() and proc.info["uids"].real == uid):
                found.append(f"{proc.pid} ({proc.name()}): {line}")
        except (psutil.Error, TypeError):
            continue
    return found


def test_autograde_as_an_ordinary_user_stops_every_attack_and_marks_everyone(source_dir):
    prefix, uid = as_ordinary_user()
    # Not under pytest's tmp_path: its parent folder is private to the user running pytest.
    root = Path(tempfile.mkdtemp(prefix="qilab-non-root-"))
    try:
        learners = ["normal", "bomber", *ATTACKS]
        roster = synthetic.write_roster(root / "roster.csv", learners)
        init_course(root / "cohort", roster, source=source_dir, memory_limit_mb=1024)
        course = Course.open(root / "cohort")
        assert not release(course).errors
        released = nbformat.read(course.root / "release" / A / f"{A}.ipynb", 4)
        submissions = {
            "normal": synthetic.submission(released, "solution"),
            "bomber": synthetic.submission(released, "bomb"),
            **{name: attack(released, code) for name, code in ATTACKS.items()},
        }
        for learner, nb in submissions.items():
            folder = course.root / "submitted" / learner / A
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{A}.ipynb")
        home = root / "home"
        home.mkdir()
        if uid != os.geteuid():
            for path in [root, *root.rglob("*")]:
                os.chown(path, uid, uid)

        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        env.update(HOME=str(home), TMPDIR=str(root), PATH=f"{Path(QILAB).parent}:/usr/bin:/bin")
        command = [*prefix, QILAB, "course", "autograde", A, "-C", str(course.root)]
        done = subprocess.run(
            [*command, "--workers", "2", "--no-progress"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "root" not in done.stderr.lower() or "not root" in done.stderr.lower()

        scores = load_gradebook(course).grades.groupby("learner")["auto_score"].sum()
        # Every learner marked, as nbgrader marks: the attack cells score nothing, the rest do.
        assert set(scores.index) == set(learners)
        assert scores["normal"] == 5
        for learner in ("bomber", *ATTACKS):
            assert 0 < scores[learner] < scores["normal"], (learner, scores.to_dict())

        marked = {
            learner: "\n".join(
                str(out.get("text", "")) + str(out.get("ename", ""))
                for cell in nbformat.read(
                    course.root / "autograded" / learner / A / f"{A}.ipynb", 4
                ).cells
                for out in cell.get("outputs", [])
            )
            for learner in ("bomber", *ATTACKS)
        }
        # RLIMIT_NPROC counts all of the user's tasks, so the cap is set max_processes (256)
        # above what the user already runs (the workers, the other kernels: under 300 here).
        # Without it the bomb would reach its own bound of 2000 and print nothing.
        assert "stopped after" in marked["forker"], "the fork bomb was not stopped"
        stopped = int(marked["forker"].split("stopped after ", 1)[1].split()[0])
        assert stopped < 256 + 300, "the process cap (RLIMIT_NPROC) did not stop the fork bomb"
        assert "MemoryError" in marked["bomber"], "the memory cap did not stop the bomb"
        assert survivors(uid) == [], "a learner's process outlived the run"
    finally:
        shutil.rmtree(root, ignore_errors=True)
