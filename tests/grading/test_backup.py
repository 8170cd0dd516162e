"""The gradebook is never lost: a backup before each autograde run, and `qilab course restore`."""

from __future__ import annotations

import sqlite3

import pytest
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.backup import backup_gradebook, backups, restore
from qilab.grading.course import CourseError
from qilab.grading.results import load_gradebook

from qilab.cli import main as cli_main

A = synthetic.ASSIGNMENT


def grades(course) -> dict[tuple[str, str], float]:
    table = load_gradebook(course).grades
    return {
        (r.learner, r.cell): r.auto_score
        for r in table.itertuples()
        if r.auto_score == r.auto_score
    }


@pytest.mark.slow
def test_a_zeroed_gradebook_is_restored_from_the_backup_autograde_made(make_course, place, capsys):
    course = make_course(["d1", "d2"])
    place(course, "d1", "solution")
    first = autograde(course, A, workers=1, progress=False)
    assert first.backup is not None and "backed up" in str(first)  # before d1 was marked
    place(course, "d2", "partial")
    second = autograde(course, A, workers=1, progress=False)  # backs up d1's marks
    marked = grades(course)
    assert marked[("d1", "crossings_tests")] == 3 and marked[("d2", "crossings_tests")] == 1
    assert len(backups(course)) == 2

    gradebook = course.root / "gradebook.db"
    gradebook.write_bytes(b"")  # every mark gone, as the attacker did

    assert cli_main(["course", "restore", "-C", str(course.root)]) == 0
    listing = capsys.readouterr().out
    assert second.backup.name in listing and first.backup.name in listing
    assert listing.index(second.backup.name) < listing.index(first.backup.name)  # newest first

    assert cli_main(["course", "restore", "latest", "-C", str(course.root)]) == 0
    said = capsys.readouterr().out
    assert f"from {second.backup.name}" in said and "before-restore" in said
    # The backup was taken before d2 was marked: d1's marks are back, d2 is re-marked.
    assert grades(course) == {k: v for k, v in marked.items() if k[0] == "d1"}
    kept = [p for p in backups(course) if "before-restore" in p.name]
    assert len(kept) == 1 and kept[0].stat().st_size == 0  # the zeroed file, kept as it was
    again = autograde(course, A, workers=1, progress=False)
    assert [o.learner for o in again.outcomes] == ["d2"]
    assert grades(course) == marked


def test_only_the_newest_backups_are_kept_and_bad_names_are_refused(make_course, tmp_path):
    course = make_course(["d1"])
    made = [backup_gradebook(course, keep=3) for _ in range(5)]
    assert backups(course) == sorted(made[-3:], reverse=True)
    with sqlite3.connect(made[-1]) as db:  # a real, consistent copy of the gradebook
        assert db.execute("SELECT id FROM student").fetchall() == [("d1",)]
    with pytest.raises(CourseError, match="no backup 'nope'"):
        restore(course, "nope")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    before = (course.root / "gradebook.db").read_bytes()
    with pytest.raises(CourseError, match="cannot be restored"):
        restore(course, str(junk))
    assert (course.root / "gradebook.db").read_bytes() == before  # nothing was touched
