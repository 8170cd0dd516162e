"""Collecting never overwrites or loses a submission, from the exchange or an LMS."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from qilab.grading import synthetic
from qilab.grading.collect import collect

A = synthetic.ASSIGNMENT
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
PLUGIN = "qilab.grading.lms.RosterCollector"


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_exchange_resubmission_replaces_and_archives_the_older_one(make_course, submit):
    course = make_course(["d1", "d2"])
    submit(course, "d1", "blank")
    submit(course, "stranger", "solution")  # not on the roster
    first = collect(course, A)
    assert first.collected == ["d1"] and first.not_submitted == ["d2"]
    assert any("stranger is not on the roster" in u for u in first.unknown)
    notebook = course.root / "submitted" / "d1" / A / f"{A}.ipynb"
    original = sha(notebook)
    assert collect(course, A).unchanged == ["d1"]  # running it again changes nothing

    submit(course, "d1", "solution")  # a later, different submission
    second = collect(course, A)
    ((who, archived),) = second.replaced
    assert who == "d1" and sha(archived / f"{A}.ipynb") == original  # the old one is kept
    assert sha(notebook) != original
    kept = list((course.root / "unmatched" / A / "stranger").glob("*"))
    assert len(kept) == 1  # collected again, but stored once


def test_lms_file_that_is_not_newer_is_kept_aside_not_overwriting(
    make_course, place, released, tmp_path
):
    course = make_course(["d1"])
    existing = place(course, "d1", "solution", timestamp="2025-03-20 10:00:00.000000 UTC")
    before = sha(existing)
    export = tmp_path / "lms.zip"
    with zipfile.ZipFile(export, "w") as archive:  # an older, different file from the LMS
        info = zipfile.ZipInfo("d1/measurement.ipynb", date_time=(2025, 3, 1, 9, 0, 0))
        archive.writestr(info, nbformat.writes(synthetic.submission(released(course), "blank")))
    report = collect(course, A, export)
    ((who, aside),) = report.kept_aside
    assert who == "d1" and sha(existing) == before
    assert (aside / f"{A}.ipynb").is_file()
    assert collect(course, A, export).kept_aside == [("d1", aside)]  # not stored twice


def test_lms_hand_ins_that_are_not_notebooks_are_kept_with_their_learner(
    make_course, released, tmp_path
):
    from qilab.grading.autograde import autograde

    course = make_course(["d1", "d2", "d3"])
    blank = nbformat.writes(synthetic.submission(released(course), "blank")).encode()
    when = (2025, 3, 14, 17, 30, 0)
    files = {
        "Dr One_d1_assignsubmission_file_/run charts.ipynb": blank,
        "Dr One_d1_assignsubmission_file_/reflection.docx": b"PK\x03\x04 a Word file",
        "Dr Two_d2_assignsubmission_file_/my essay.pdf": b"%PDF-1.7 an essay",
        # three people not on the roster hand in the very same (blank) notebook
        "Dr Xa_x1_assignsubmission_file_/run charts.ipynb": blank,
        "Dr Xb_x2_assignsubmission_file_/run charts.ipynb": blank,
        "Dr Xc_x3_assignsubmission_file_/run charts.ipynb": blank,
        "Dr Xc_x3_assignsubmission_file_/notes.txt": b"my notes",
    }
    export = tmp_path / "moodle.zip"
    with zipfile.ZipFile(export, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)

    report = collect(course, A, export)
    d1 = course.root / "submitted" / "d1" / A
    assert (d1 / "reflection.docx").read_bytes() == files[
        "Dr One_d1_assignsubmission_file_/reflection.docx"
    ]
    assert (d1 / f"{A}.ipynb").is_file()
    d2 = course.root / "submitted" / "d2" / A
    assert (d2 / "my essay.pdf").read_bytes() == b"%PDF-1.7 an essay"
    assert (d2 / "timestamp.txt").read_text().startswith("2025-03-14 17:30:00")
    assert report.other_files == {"d1": ["reflection.docx"], "d2": ["my essay.pdf"]}
    said = str(report)
    assert (
        "d1: also handed in reflection.docx" in said and "d2: also handed in my essay.pdf" in said
    )
    assert sorted(report.collected) == ["d1", "d2"] and report.not_submitted == ["d3"]
    # each stranger's identical file is kept under its own sender, not merged into one
    kept = sorted(
        p.relative_to(course.root / "unmatched" / A).parts[1]
        for p in (course.root / "unmatched" / A).rglob("*")
        if p.is_file()
    )
    assert kept == [
        "Dr Xa_x1_assignsubmission_file_",
        "Dr Xb_x2_assignsubmission_file_",
        "Dr Xc_x3_assignsubmission_file_",
        "Dr Xc_x3_assignsubmission_file_",
    ]
    assert sum("no roster id" in u for u in report.unknown) == 4

    again = collect(course, A, export)  # collecting again stores nothing twice
    assert sorted(again.unchanged) == ["d1", "d2"]
    assert len([p for p in (course.root / "unmatched").rglob("*") if p.is_file()]) == 4

    # The pdf-only submission is reported by autograde, not silently scored.
    graded = autograde(course, A, learners=["d2"], progress=False)
    (issue,) = [i for i in graded.outcome("d2").record.issues if i.code == "no-notebook"]
    assert "my essay.pdf" in issue.message and graded.outcome("d2").status == "not-graded"


@pytest.mark.slow
def test_nbgraders_zip_collect_matches_files_as_qilab_collect_does(make_course, released):
    """The roster matching is also an nbgrader collector plugin: one rule for both commands."""
    course = make_course(["d001", "d002", "d0021"])
    archive = course.root / "downloaded" / A / "archive"
    archive.mkdir(parents=True)
    blank = nbformat.writes(synthetic.submission(released(course), "blank"))
    with zipfile.ZipFile(archive / "moodle.zip", "w") as export:
        for name in (
            "Aisha Khan_d001_assignsubmission_file_/measurement.ipynb",
            "Ben Ode_d0021_assignsubmission_file_/my work.ipynb",  # d002 is inside d0021
            "Nobody_9999_assignsubmission_file_/measurement.ipynb",  # not on the roster
            "Aisha Khan_d001_assignsubmission_file_/notes.txt",  # not a notebook
        ):
            export.writestr(zipfile.ZipInfo(name, date_time=(2025, 3, 1, 9, 0, 0)), blank)
    done = subprocess.run(
        [NBGRADER, "zip_collect", A, f"--ZipCollectApp.collector_plugin={PLUGIN}"],
        cwd=course.root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    submitted = sorted(
        p.relative_to(course.root / "submitted").as_posix()
        for p in (course.root / "submitted").rglob("*.ipynb")
    )
    assert submitted == [f"d001/{A}/{A}.ipynb", f"d0021/{A}/{A}.ipynb"]
    assert "Nobody_9999" in done.stderr and "no learner on the roster" in done.stderr
