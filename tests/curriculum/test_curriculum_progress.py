"""A learner's progress comes from a real nbgrader gradebook, read without changing a grade."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from qilab.curriculum import load_manifest, progress, show_progress
from qilab.curriculum.progress import GradebookError

REPO = Path(__file__).resolve().parents[2]
QILAB = str(Path(sys.executable).parent / "qilab")
FOUNDATION = [
    "foundation_systems",
    "foundation_measurement",
    "foundation_pdsa",
    "foundation_codesign",
]


def qilab(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QILAB, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory, make_gradebook, marked):
    """Amira has passed Foundation and is part-way up Practitioner; Ben has done nothing."""
    marks = {("amira", name): marked(7, 10, 2, 2) for name in FOUNDATION}  # 9 of 12 = 75 %
    marks[("amira", "foundation_pdsa")] = marked(4, 10, 2, 2)  # 6 of 12 = exactly 50 %
    marks[("amira", "practitioner_systems")] = marked(3, 10, 1, 2)  # 4 of 12: below 50 %
    marks[("amira", "practitioner_measurement")] = marked(3, 10, None, 2)  # reflection unmarked
    marks[("carla", "foundation_systems")] = marked(10, 10, 2, 2)
    path = tmp_path_factory.mktemp("course") / ".qilab" / "gradebook.db"
    return make_gradebook(path, marks)


@pytest.mark.slow
def test_modules_and_levels_complete_from_marked_assignments(gradebook):
    p = progress("amira", gradebook=gradebook, manifest=load_manifest(REPO))
    assert p.has_submissions
    assert p.completed == FOUNDATION  # 50 % is a pass: the pass mark is "at least"
    assert p.completed_levels == ["foundation"]
    status = {m.module.id: m.status for m in p.modules}
    assert status["practitioner_systems"] == "below pass mark"
    assert status["practitioner_measurement"] == "awaiting marking"
    assert status["practitioner_pdsa"] == "not submitted"
    scored = {m.module.id: m.percent for m in p.modules if m.percent is not None}
    assert scored["foundation_systems"] == pytest.approx(75)
    assert scored["practitioner_systems"] == pytest.approx(100 * 4 / 12)
    assert p.next_module().id == "practitioner_systems"  # prerequisites met, not yet passed


def test_the_start_page_table_shows_every_module_and_level_escaped(gradebook):
    p = progress("amira", gradebook=gradebook, manifest=load_manifest(REPO))
    shown = p._repr_html_()
    assert shown.count("<tr>") == len(p.modules) + 1  # a header row, then a row per module
    for level in p.levels:
        assert level.level.title in shown
        assert f'rowspan="{len(level.modules)}"' in shown
    assert "Foundation" in shown and "complete ✔" in shown  # amira finished Foundation
    assert f'Suggested next: <a href="{p.next_module().lesson}">' in shown
    hostile = dataclasses.replace(p, learner="<script>alert(1)</script>")._repr_html_()
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile


def test_other_learners_grades_never_leak_into_a_learners_progress(gradebook):
    carla = progress("carla", gradebook=gradebook, manifest=load_manifest(REPO))
    assert carla.completed == ["foundation_systems"]
    assert carla.completed_levels == []


def test_a_learner_with_no_submissions_sees_a_friendly_message(gradebook):
    ben = progress("ben", gradebook=gradebook, manifest=load_manifest(REPO))
    assert not ben.has_submissions and ben.completed == []
    assert "No submissions yet" in ben.text()
    assert "No submissions yet" in ben._repr_html_()
    assert ben.next_module().id == "foundation_systems"


@pytest.mark.parametrize("content", [None, b""])
def test_a_course_without_a_gradebook_yet_is_not_an_error(tmp_path, content):
    path = tmp_path / "gradebook.db"
    if content is not None:
        path.write_bytes(content)
    p = progress("amira", gradebook=path, manifest=load_manifest(REPO))
    assert not p.has_submissions and p.completed == []
    assert not path.exists() or path.read_bytes() == content  # nothing was created


def test_reading_progress_never_changes_the_gradebook(gradebook):
    before = hashlib.sha256(gradebook.read_bytes()).hexdigest()
    mtime = gradebook.stat().st_mtime_ns
    progress("amira", gradebook=gradebook, manifest=load_manifest(REPO))
    progress("nobody-yet", gradebook=gradebook, manifest=load_manifest(REPO))
    assert hashlib.sha256(gradebook.read_bytes()).hexdigest() == before
    assert gradebook.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in gradebook.parent.iterdir()) == ["gradebook.db"]  # no journal


@pytest.mark.slow
def test_a_module_pass_mark_in_the_manifest_is_honoured(course, gradebook):
    manifest = course / "curriculum" / "escalator.yaml"
    text = manifest.read_text()
    anchor = "    lesson: foundation/systems.ipynb\n"
    manifest.write_text(text.replace(anchor, anchor + "    pass_mark: 80\n"))
    p = progress("amira", gradebook=gradebook, manifest=load_manifest(course))
    systems = next(m for m in p.modules if m.module.id == "foundation_systems")
    assert systems.module.pass_mark == 80 and systems.status == "below pass mark"
    assert p.completed_levels == []


def test_a_damaged_gradebook_gets_a_message_that_says_what_to_do(tmp_path):
    broken = tmp_path / "gradebook.db"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(GradebookError, match=r"not a readable gradebook.*tutor"):
        progress("amira", gradebook=broken, manifest=load_manifest(REPO))
    shown = show_progress("amira", gradebook=broken)  # the start page: a message, no traceback
    assert "Progress is not available" in shown._repr_html_()
    assert broken.read_bytes() == b"this is not a database" * 100


@pytest.mark.slow
def test_qilab_progress_prints_the_escalator(gradebook):
    done = qilab("progress", "--learner", "amira", "--gradebook", str(gradebook))
    assert done.returncode == 0, done.stderr
    assert "Foundation (complete)" in done.stdout
    assert "[x] foundation_pdsa" in done.stdout and "50 %" in done.stdout
    assert "[ ] practitioner_measurement" in done.stdout and "awaiting marking" in done.stdout
    assert "Suggested next: Process, flow, demand and capacity" in done.stdout


@pytest.mark.slow
def test_qilab_progress_csv_has_one_row_per_module(gradebook):
    done = qilab("progress", "--learner", "amira", "--gradebook", str(gradebook), "--csv")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(StringIO(done.stdout))
    assert len(table) == 12 and set(table["learner"]) == {"amira"}
    assert table.set_index("module").loc["practitioner_systems", "status"] == "below pass mark"


@pytest.mark.slow
def test_qilab_progress_finds_the_course_gradebook_through_qilab_root(
    course, make_gradebook, marked
):
    make_gradebook(course / ".qilab" / "gradebook.db", {("dana", "foundation_pdsa"): marked(8, 10)})
    env = {**__import__("os").environ, "QILAB_ROOT": str(course)}
    done = qilab("progress", "--learner", "dana", env=env)
    assert done.returncode == 0, done.stderr
    assert "[x] foundation_pdsa" in done.stdout


def test_qilab_progress_on_a_damaged_gradebook_is_one_line(tmp_path):
    broken = tmp_path / "gradebook.db"
    broken.write_text("garbage " * 200)
    done = qilab("progress", "--gradebook", str(broken))
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a readable gradebook" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
