"""Matching an LMS export's files to the roster: by id, never by guess."""

from __future__ import annotations

import os
import zipfile
from datetime import datetime

import pytest
from qilab.grading.lms import _pattern, list_export, match_learner, stage_export

from qilab.errors import QilabError

ROSTER = ["d1", "d12", "smith", "a.khan"]


def make_zip(path, files: dict[str, tuple[bytes, tuple[int, ...]]]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, (data, when) in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


def test_ids_match_as_whole_words_and_the_longest_wins():
    ids = {i: _pattern(i) for i in ROSTER}
    assert match_learner("Moodle/Dr X_d12_assignsubmission_file_/ps.ipynb", ids) == ["d12"]
    assert match_learner("d1_ps.ipynb", ids) == ["d1"]
    assert match_learner("d123_ps.ipynb", ids) == []  # a longer number is someone else
    assert match_learner("A.Khan-measurement.ipynb", ids) == ["a.khan"]  # case-insensitive
    assert match_learner("smith_d1.ipynb", ids) == ["d1", "smith"]  # two learners: ambiguous


def test_stage_export_sorts_files_and_reports_the_rest(tmp_path):
    export = make_zip(
        tmp_path / "moodle.zip",
        {
            "Ann Example_d1_assignsubmission_file_/measurement.ipynb": (
                b"{1}",
                (2025, 3, 1, 9, 0, 0),
            ),
            "Ann Example_d1_assignsubmission_file_/measurement (1).ipynb": (
                b"{2}",
                (2025, 3, 2, 9, 0, 0),
            ),
            "Bob Example_d12_assignsubmission_file_/work.ipynb": (b"{3}", (2025, 3, 1, 9, 0, 0)),
            "Zed Nobody_zz9_assignsubmission_file_/measurement.ipynb": (
                b"{4}",
                (2025, 3, 1, 0, 0, 0),
            ),
            "smith_d1_joint.ipynb": (b"{5}", (2025, 3, 1, 0, 0, 0)),
            "Bob Example_d12_assignsubmission_file_/notes.txt": (b"notes", (2025, 3, 1, 0, 0, 0)),
            "../../evil.ipynb": (b"{6}", (2025, 3, 1, 0, 0, 0)),
            "__MACOSX/._measurement.ipynb": (b"junk", (2025, 3, 1, 0, 0, 0)),
        },
    )
    staged = stage_export(export, ROSTER, ["measurement"], tmp_path / "staging")
    assert sorted(staged.learners) == ["d1", "d12"]
    # the newer of d1's two files wins; the other is reported as a duplicate
    assert (tmp_path / "staging/d1/measurement.ipynb").read_bytes() == b"{2}"
    ((who, kept, dropped),) = staged.duplicates
    assert who == "d1" and kept.name.endswith("(1).ipynb") and dropped.modified < kept.modified
    # any single notebook of the assignment takes the assignment's notebook name
    assert (tmp_path / "staging/d12/measurement.ipynb").read_bytes() == b"{3}"
    assert (tmp_path / "staging/d1/timestamp.txt").read_text() == "2025-03-02 09:00:00.000000 UTC"
    assert [u.name for u in staged.unknown] == [
        "Zed Nobody_zz9_assignsubmission_file_/measurement.ipynb"
    ]
    assert [(a.name, who) for a, who in staged.ambiguous] == [
        ("smith_d1_joint.ipynb", ["d1", "smith"])
    ]
    assert not (tmp_path / "evil.ipynb").exists()


def test_several_notebooks_are_told_apart_by_name(tmp_path):
    folder = tmp_path / "export"
    (folder / "d1").mkdir(parents=True)
    for name in ("d1_part_a.ipynb", "d1_part_b.ipynb", "d1_extra.ipynb"):
        (folder / "d1" / name).write_text(name)
        os.utime(folder / "d1" / name, (0, datetime(2025, 1, 1).timestamp()))
    staged = stage_export(folder, ROSTER, ["part_a", "part_b"], tmp_path / "staging")
    assert sorted(p.name for p in (tmp_path / "staging/d1").glob("*.ipynb")) == [
        "part_a.ipynb",
        "part_b.ipynb",
    ]
    assert [item.name for _, item in staged.unnamed] == ["d1/d1_extra.ipynb"]


def test_a_broken_zip_or_missing_export_is_a_clear_error(tmp_path):
    broken = tmp_path / "download.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(QilabError, match="not a zip file"):
        list_export(broken)
    with pytest.raises(QilabError, match="No export"):
        list_export(tmp_path / "missing.zip")
