"""Rosters: every bad row is reported with its spreadsheet row number, good rows still count."""

from __future__ import annotations

import pytest
from qilab.grading.roster import RosterError, read_roster


def write(tmp_path, text: str, name: str = "roster.csv", bom: bool = False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_bad_rows_are_reported_with_row_numbers_and_good_rows_kept(tmp_path):
    roster = read_roster(
        write(
            tmp_path,
            "id,name,email\n"
            "d001,Aisha Khan,aisha.khan@nhs.example\n"  # row 2: fine
            ",No Id,noid@nhs.example\n"  # row 3: missing id
            "d001,Second Aisha,other@nhs.example\n"  # row 4: duplicate id
            "d002,Ben Okoro,not-an-email\n"  # row 5: bad email
            "d 003,Space Id,space@nhs.example\n"  # row 6: unusable id
            "\n"  # blank line: ignored, not a problem
            "D004,Chloe Smith,\n",  # row 8: fine (email optional)
        )
    )
    assert [learner.id for learner in roster.learners] == ["d001", "D004"]
    found = {p.row: p.problem for p in roster.problems}
    assert set(found) == {3, 4, 5, 6}
    assert "no learner id" in found[3]
    assert "duplicate" in found[4] and "row 2" in found[4]
    assert "not-an-email" in found[5]
    assert "characters" in found[6]
    assert all(p.fix for p in roster.problems)  # each problem says how to fix it


def test_duplicates_differing_only_in_case_are_caught(tmp_path):
    # Folders named D001 and d001 collide on Windows and macOS file systems.
    roster = read_roster(write(tmp_path, "id,name,email\nd001,A B,\nD001,C D,\n"))
    assert [p.row for p in roster.problems] == [3]


def test_excel_bom_and_first_last_columns(tmp_path):
    roster = read_roster(
        write(
            tmp_path,
            "Student ID,First name,Surname,E-mail\nd9,Priya,Patel,p.patel@nhs.example\n",
            bom=True,
        )
    )
    (learner,) = roster.learners
    assert (learner.id, learner.first_name, learner.last_name, learner.email) == (
        "d9",
        "Priya",
        "Patel",
        "p.patel@nhs.example",
    )


def test_full_names_split_at_the_last_word(tmp_path):
    roster = read_roster(write(tmp_path, "id,name\nd1,Dr Mary Jane Watson\n"))
    assert (roster.learners[0].first_name, roster.learners[0].last_name) == (
        "Dr Mary Jane",
        "Watson",
    )


def test_a_roster_without_an_id_column_is_refused_with_the_expected_header(tmp_path):
    with pytest.raises(RosterError, match="id,name,email"):
        read_roster(write(tmp_path, "name,email\nA B,a@b.org\n"))


def test_missing_file_and_wrong_encoding_say_what_to_do(tmp_path):
    with pytest.raises(RosterError, match="check the path"):
        read_roster(tmp_path / "nope.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,name\nd1,Zoë\n".encode("latin-1"))
    with pytest.raises(RosterError, match="CSV UTF-8"):
        read_roster(latin)
