"""Collecting never overwrites or loses a submission, from the exchange or an LMS."""

from __future__ import annotations

import hashlib
import zipfile

import nbformat
from qilab.grading import synthetic
from qilab.grading.collect import collect

A = synthetic.ASSIGNMENT


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
