"""Reports an academy can trust: every figure equals what a tutor works out by hand.

One synthetic cohort goes through real nbgrader autograding with a due date, extensions and a
late penalty of 10 % of the marks per day (or part day) late; a tutor then marks some
reflections. Every number in the report, grades.csv, the LMS files and ``qilab progress`` is
checked against the hand calculation below.

The assignment (qilab.grading.synthetic) has 7 marks: median_tests 2 (outcome .3),
crossings_tests 3 (outcome .4), reflection 2 (outcome .5, marked by a tutor). The manifest
sets a minimum of 50 % on outcome foundation_measurement.4.

| learner  | submitted (due 10 Mar 17:00) | auto | refl. | penalty | score | %      | rule        |
|----------|------------------------------|------|-------|---------|-------|--------|-------------|
| pass     | 10 Mar 12:00                 | 5    | 2     | 0       | 7     | 100.0  | completed   |
| pending  | 9 Mar 09:00                  | 5    | —     | 0       | 5     | 71.4 p | awaiting    |
| fail     | 10 Mar 16:59 (blank)         | 0    | 0     | 0       | 0     | 0.0    | below pass  |
| partial  | 10 Mar 10:00                 | 3    | 2     | 0       | 5     | 71.4   | below .4 min|
| late     | 12 Mar 05:00 (36 h: 2 days)  | 5    | 2     | 1.4     | 5.6   | 80.0   | completed   |
| extended | 12 Mar 17:00 (ext. 13 Mar)   | 5    | 2     | 0       | 7     | 100.0  | completed   |
| beyond   | 11 Mar 19:00 (ext. 11 Mar 17)| 5    | 1     | 0.7     | 5.3   | 75.7   | completed   |
| absent   | —                            |      |       |         |       |        | overdue     |
| excused  | — (ext. 25 Mar)              |      |       |         |       |        | not yet due |
"""

from __future__ import annotations

import csv
import json
import shutil
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from qilab.grading import gradefiles, synthetic
from qilab.grading.autograde import autograde
from qilab.grading.cohort import cohort_data
from qilab.grading.course import Course, init_course
from qilab.grading.deadlines import extend, load_deadlines, parse_when
from qilab.grading.feedback import generate_feedback, read_feedback
from qilab.grading.pending import pending_table
from qilab.grading.release import release
from qilab.grading.report import build_report, marks_run_chart

from qilab.curriculum.progress import progress
from qilab.errors import QilabError
from qilab.escalator import load_manifest_file


def place_submission(course: Course, learner: str, kind: str, timestamp: str) -> None:
    """A submission straight into submitted/, with nbgrader's timestamp.txt."""
    import nbformat

    folder = course.root / "submitted" / learner / A
    folder.mkdir(parents=True, exist_ok=True)
    released = nbformat.read(course.root / "release" / A / f"{A}.ipynb", 4)
    nbformat.write(synthetic.submission(released, kind), folder / f"{A}.ipynb")
    (folder / "timestamp.txt").write_text(timestamp)


pytestmark = pytest.mark.slow

A = synthetic.ASSIGNMENT
REPO = Path(__file__).resolve().parents[2]
QILAB = str(Path(sys.executable).parent / "qilab")
DUE = datetime(2025, 3, 10, 17, 0)
NOW = datetime(2025, 3, 20, 0, 0)
SUBMISSIONS = {  # learner: (kind, timestamp)
    "pass": ("solution", "2025-03-10 12:00:00.000000 UTC"),
    "pending": ("solution", "2025-03-09 09:00:00.000000 UTC"),
    "fail": ("blank", "2025-03-10 16:59:00.000000 UTC"),
    "partial": ("partial", "2025-03-10 10:00:00.000000 UTC"),
    "late": ("solution", "2025-03-12 05:00:00.000000 UTC"),
    "extended": ("solution", "2025-03-12 17:00:00.000000 UTC"),
    "beyond": ("solution", "2025-03-11 19:00:00.000000 UTC"),
}
ROSTER = [*SUBMISSIONS, "absent", "excused"]
REFLECTIONS = {"pass": 2, "partial": 2, "late": 2, "extended": 2, "beyond": 1}

#: By hand: (status, marks, score, percent, late penalty)
EXPECTED = {
    "pass": ("completed", "final", 7.0, 100.0, 0.0),
    "pending": ("awaiting marking", "provisional", 5.0, 500 / 7, 0.0),
    "fail": ("below pass mark", "final", 0.0, 0.0, 0.0),
    "partial": ("below outcome minimum", "final", 5.0, 500 / 7, 0.0),
    "late": ("completed", "final", 5.6, 80.0, 1.4),
    "extended": ("completed", "final", 7.0, 100.0, 0.0),
    "beyond": ("completed", "final", 5.3, 530 / 7, 0.7),
    "absent": ("not submitted", "", None, None, None),
    "excused": ("not submitted", "", None, None, None),
}


def manifest_with_minimum(path: Path) -> Path:
    text = (REPO / "curriculum" / "escalator.yaml").read_text()
    anchor = "      - id: foundation_measurement.4\n"
    assert anchor in text
    text = text.replace(
        anchor + "        text: Apply the run chart rules",
        anchor + "        minimum: 50\n        text: Apply the run chart rules",
    )
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("trust")
    synthetic.write_source(tmp / "sources")
    roster = synthetic.write_roster(tmp / "roster.csv", ROSTER)
    init_course(tmp / "cohort", roster, source=tmp / "sources" / "source", cell_timeout=20)
    course = Course.open(tmp / "cohort")
    config = course.root / "nbgrader_config.py"
    config.write_text(
        config.read_text().replace(
            "c.LatePenalty.percent_per_day = 0", "c.LatePenalty.percent_per_day = 10"
        )
    )
    released = release(course, due=parse_when("2025-03-10 17:00"))
    assert not released.errors, released
    # extensions granted before the work arrives (nbgrader cannot hold them yet)
    extend(course, "extended", A, datetime(2025, 3, 13, 17, 0))
    extend(course, "beyond", A, datetime(2025, 3, 11, 17, 0))
    extend(course, "excused", A, datetime(2025, 3, 25, 17, 0))
    for learner, (kind, stamp) in SUBMISSIONS.items():
        place_submission(course, learner, kind, stamp)
    graded = autograde(course, A, workers=2, progress=False)
    assert {o.learner for o in graded.outcomes} == set(SUBMISSIONS), graded
    with course.gradebook() as gb:  # the tutor marks reflections in the Formgrader
        for learner, mark in REFLECTIONS.items():
            grade = gb.find_grade("reflection", A, A, learner)
            grade.manual_score = float(mark)
            grade.needs_manual_grade = False
        gb.db.commit()
    manifest = manifest_with_minimum(tmp / "escalator.yaml")
    report = build_report(course, manifest=manifest, now=NOW)
    return {"tmp": tmp, "course": course, "manifest": manifest, "report": report}


def test_every_mark_status_and_penalty_is_what_a_tutor_works_out(cohort):
    status = cohort["report"].data.status.set_index("learner")
    for learner, (rule, marks, score, percent, penalty) in EXPECTED.items():
        row = status.loc[learner]
        assert row["status"] == rule, learner
        assert row["marks"] == marks, learner
        if score is None:
            assert pd.isna(row["score"]) and pd.isna(row["percent"]), learner
            continue
        assert row["score"] == pytest.approx(score), learner
        assert row["percent"] == pytest.approx(percent), learner
        assert row["late_penalty"] == pytest.approx(penalty), learner
    assert status.loc["pending", "pending"] == "awaiting tutor marking: reflection (2 marks)"
    assert "foundation_measurement.4 33 % (minimum 50 %)" in status.loc["partial", "detail"]
    # lateness: against the learner's own deadline, extensions included
    assert {who for who in status.index if status.loc[who, "late"]} == {"late", "beyond"}
    assert status.loc["beyond", "late_by"] == pd.Timedelta(hours=2)
    assert status.loc["late", "late_by"] == pd.Timedelta(hours=36)
    assert bool(status.loc["extended", "extended"]) and not bool(status.loc["pass", "extended"])


def test_the_behind_list_names_who_to_contact_and_why(cohort):
    behind = cohort["report"].data.behind.set_index("learner")
    assert sorted(behind.index) == ["absent", "fail", "partial"]
    assert behind.loc["absent", "reason"] == "no submission: overdue since 10 Mar 2025 17:00 UTC"
    assert behind.loc["absent", "email"] == "absent@nhs.example"
    assert behind.loc["absent", "name"] == "Dr Absent Example"
    assert behind.loc["fail", "reason"].startswith("not passed: below pass mark (0.0 %")
    assert behind.loc["partial", "reason"].startswith("not passed: below outcome minimum (71.4 %")
    on_disk = pd.read_csv(cohort["course"].root / "report" / "behind.csv")
    assert sorted(on_disk["learner"]) == ["absent", "fail", "partial"]


def test_levels_count_every_module_of_the_level_not_just_the_released_one(cohort):
    levels = cohort["report"].data.levels
    foundation = levels[levels["level"] == "foundation"].set_index("learner")
    assert not foundation["completed"].any()  # 1 of the 4 Foundation modules released
    assert set(foundation["modules"]) == {4}
    done = foundation["modules_done"].to_dict()
    assert done == {
        "pass": 1,
        "late": 1,
        "extended": 1,
        "beyond": 1,
        "pending": 0,
        "fail": 0,
        "partial": 0,
        "absent": 0,
        "excused": 0,
    }
    assert "Foundation: 0 learner(s) completed every module" in str(cohort["report"])
    from qilab.grading.report import level_summary

    row = level_summary(cohort["report"].data).set_index("level").loc["Foundation"]
    # marked evidence: .3 12 of 14, .4 16 of 21, .5 9 of 12 (pending's reflection left out)
    assert row["attainment (%)"] == round(100 * 37 / 47, 1)
    assert row["modules released"] == "1 of 4" and row["learners who completed it"] == 0


def test_attainment_by_outcome_leaves_out_answers_awaiting_a_tutor(cohort):
    data = cohort["report"].data
    got = data.attainment.set_index(["learner", "outcome"])["percent"]
    assert ("pending", "foundation_measurement.5") not in got.index
    assert got[("beyond", "foundation_measurement.5")] == 50
    assert got[("partial", "foundation_measurement.4")] == pytest.approx(100 / 3)
    from qilab.grading.report import outcome_summary

    summary = outcome_summary(data).set_index("outcome")
    assert summary.loc["foundation_measurement.3", "percent"] == pytest.approx(600 / 7)
    assert summary.loc["foundation_measurement.4", "percent"] == pytest.approx((500 + 100 / 3) / 7)
    assert summary.loc["foundation_measurement.5", "percent"] == pytest.approx(450 / 6)
    assert summary.loc["foundation_measurement.5", "learners"] == 6
    assert summary.loc["foundation_measurement.4", "minimum"] == 50
    assert summary.loc["foundation_measurement.4", "below_minimum"] == 2  # fail and partial


def test_grades_csv_says_final_or_provisional_and_what_is_pending(cohort):
    path = cohort["course"].root / "report" / "grades.csv"
    rows = {r["learner_id"]: r for r in csv.DictReader(path.open())}
    header = list(next(iter(rows.values())))
    assert header == [
        "learner_id",
        "first_name",
        "last_name",
        "email",
        f"{A} (%)",
        f"{A} status",
    ]
    expected = {
        "pass": ("100.0", "final"),
        "pending": ("71.4", "provisional: awaiting tutor marking: reflection (2 marks)"),
        "fail": ("0.0", "final"),
        "partial": ("71.4", "final"),
        "late": ("80.0", "final"),
        "extended": ("100.0", "final"),
        "beyond": ("75.7", "final"),
        "absent": ("", "not submitted"),
        "excused": ("", "not submitted"),
    }
    assert {k: (v[f"{A} (%)"], v[f"{A} status"]) for k, v in rows.items()} == expected
    assert rows["pass"]["first_name"] == "Dr Pass" and rows["pass"]["email"] == "pass@nhs.example"


def final_percent() -> dict[str, float]:
    return {k: v[3] for k, v in EXPECTED.items() if v[1] == "final"}


def test_canvas_gradebook_round_trip_has_final_marks_only(cohort):
    path = cohort["course"].root / "report" / "canvas_gradebook.csv"
    header = path.read_text().splitlines()[0].split(",")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    possible, grades = gradefiles.read_canvas(path)
    assert possible == {A: 100.0}
    assert {who: g[A] for who, g in grades.items()} == {
        who: round(p, 2) for who, p in final_percent().items()
    }
    assert "pending" not in grades  # provisional: never sent to the LMS


def test_moodle_gradebook_round_trip_never_has_feedback_without_its_grade(cohort, tmp_path):
    data = cohort["report"].data
    for key, column in (("email", "Email address"), ("idnumber", "ID number")):
        path = gradefiles.moodle_gradebook(data, tmp_path / f"{key}.csv", key=key)
        assert path.read_text().splitlines()[0].startswith(f"{column},First name,Last name,{A},")
        back = gradefiles.read_moodle(path)  # raises on feedback without a grade
        ident = (lambda who: f"{who}@nhs.example") if key == "email" else (lambda who: who)
        assert {k: v[A][0] for k, v in back.items()} == {
            ident(who): round(p, 2) for who, p in final_percent().items()
        }
    late = back["late"][A][1]
    assert late.startswith("5.6 of 7 marks (80.0 %; pass mark 50 %). Passed.")
    assert "late penalty of 1.4 marks" in late
    assert "below its minimum" in back["partial"][A][1] or "minimum 50 %" in back["partial"][A][1]


def test_moodle_worksheet_fills_only_final_marks_and_keeps_the_rest(cohort, tmp_path):
    columns = [
        "Identifier",
        "Full name",
        "Email address",
        "Status",
        "Grade",
        "Maximum grade",
        "Grade can be changed",
        "Last modified (submission)",
        "Last modified (grade)",
        "Feedback comments",
    ]
    downloaded = tmp_path / "worksheet.csv"
    people = [*ROSTER, "stranger"]
    with downloaded.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for i, who in enumerate(people):
            earlier = "seen in tutorial" if who == "pending" else ""
            out.writerow(
                [
                    f"Participant {1000 + i}",
                    f"Dr {who.title()}",
                    f"{who.upper()}@NHS.example",  # Moodle may spell emails differently
                    "Submitted for grading",
                    "",
                    "50.00",
                    "Yes",
                    "Monday, 10 March 2025, 5:00 PM",
                    "-",
                    earlier,
                ]
            )
    out = tmp_path / "filled.csv"
    result = gradefiles.moodle_worksheet(cohort["report"].data, A, downloaded, out)
    rows = {r["Identifier"]: r for r in gradefiles.read_worksheet(out)}
    assert list(next(iter(rows.values()))) == columns
    by_email = {r["Email address"].split("@")[0].lower(): r for r in rows.values()}
    for who, percent in final_percent().items():
        assert by_email[who]["Grade"] == f"{percent / 2:.2f}", who  # Maximum grade 50
        assert by_email[who]["Feedback comments"].startswith("")
        assert by_email[who]["Feedback comments"] != ""
    for who in ("pending", "absent", "excused", "stranger"):  # untouched, never wiped
        assert by_email[who]["Grade"] == ""
    assert by_email["pending"]["Feedback comments"] == "seen in tutorial"
    assert by_email["beyond"]["Grade"] == "37.86"
    assert result.provisional == ["pending"] and result.unknown == ["STRANGER@NHS.example"]
    assert sorted(result.no_marks) == ["absent", "excused"]


def test_qilab_progress_agrees_with_the_report_for_every_learner(cohort):
    course, manifest = cohort["course"], load_manifest_file(cohort["manifest"])
    data = cohort["report"].data
    for learner in ROSTER:
        mine = progress(learner, gradebook=course.root / "gradebook.db", manifest=manifest)
        theirs = data.standings[learner]
        assert mine.completed == theirs.completed, learner
        assert mine.completed_levels == theirs.completed_levels, learner
        got = mine.standing.module(A)
        row = data.status.set_index("learner").loc[learner]
        shown = "completed" if got.status == "passed" else got.status
        assert shown == row["status"], learner
        assert got.mark_state == row["marks"], learner
        if got.percent is not None:
            assert got.percent == pytest.approx(row["percent"]), learner
            assert got.percent == pytest.approx(EXPECTED[learner][3]), learner


def test_qilab_progress_on_the_command_line_says_what_is_provisional(cohort):
    course = cohort["course"]
    done = subprocess.run(
        [
            QILAB,
            "progress",
            "--learner",
            "pending",
            "--gradebook",
            str(course.root / "gradebook.db"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "[ ] foundation_measurement     awaiting marking (71 % provisional; pass mark 50 %): "
        "awaiting tutor marking: reflection (2 marks)"
    ) in done.stdout
    assert "Foundation (0 of 4 done)" in done.stdout


def test_the_run_chart_of_marks_is_drawn_by_qilab_measure_from_final_marks(cohort):
    result = marks_run_chart(cohort["report"].data, A)
    # final marks in the order work arrived: partial, pass, fail, beyond, late, extended
    expected = [71.4, 100.0, 0.0, 75.7, 80.0, 100.0]
    assert result.data["y"].tolist() == expected
    assert result.data["cl"].iloc[0] == pytest.approx(statistics.median(expected))
    page = (cohort["course"].root / "report" / "progress.html").read_text()
    assert f"chart-run-{A}" in page and "https://cdn" not in page


def test_the_progress_page_shows_names_behind_pending_and_provisional(cohort):
    page = (cohort["course"].root / "report" / "progress.html").read_text()
    for text in (
        "Who is behind",
        "absent@nhs.example",
        "Dr Absent Example",
        "no submission: overdue since 10 Mar 2025 17:00 UTC",
        "Written answers awaiting a tutor",
        "provisional",
        "1 of 4",  # Foundation: modules released of the level's modules
        "1 day 12 h late",  # late: 36 h after the due date
    ):
        assert text in page, text
    portfolio = (cohort["course"].root / "report" / "portfolio" / "pending.html").read_text()
    assert "provisional" in portfolio and "Levels completed: <strong>none yet</strong>" in portfolio


def test_pending_lists_written_answers_awaiting_a_tutor(cohort):
    table = pending_table(cohort["course"])
    assert table[["assignment", "learner", "cell", "max_score"]].values.tolist() == [
        [A, "pending", "reflection", 2.0]
    ]
    done = subprocess.run(
        [QILAB, "course", "pending", "-C", str(cohort["course"].root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 written answer(s) from 1 learner(s)" in done.stdout
    assert "pending" in done.stdout and "reflection (2 marks)" in done.stdout


def test_feedback_is_held_back_until_marked_or_labelled_provisional(cohort):
    course = cohort["course"]
    held = generate_feedback(course, A, learners=["pass", "pending"], release=False)
    assert held.held_back == ["pending"] and [p.parent.parent.name for p in held.pages] == ["pass"]
    assert "held back until their written answers are marked" in str(held)
    labelled = generate_feedback(course, A, learners=["pending"], release=False, provisional=True)
    (page,) = labelled.pages
    text = read_feedback(page)
    assert "Provisional — awaiting tutor marking" in text
    assert "awaiting tutor marking, 2 marks" in text
    assert "Written response (Score: 0.0 / 2.0)" not in text
    assert "provisional score: 5.0 / 7.0" in text
    final = read_feedback(course.root / "feedback" / "pass" / A / f"{A}.html")
    assert "Provisional" not in final


def test_extensions_are_recorded_and_bad_ones_refused_in_one_line(cohort):
    course = cohort["course"]
    saved = load_deadlines(course)
    assert saved.extension(A, "extended") == datetime(2025, 3, 13, 17, 0)
    with course.gradebook() as gb:  # nbgrader's own field holds it once the work arrived
        assert gb.find_submission(A, "extended").extension.total_seconds() == 3 * 86400
    with pytest.raises(QilabError, match="must be after the due date"):
        extend(course, "absent", A, datetime(2025, 3, 1))
    with pytest.raises(QilabError, match="no learner 'nobody'"):
        extend(course, "nobody", A, datetime(2025, 4, 1))
    done = subprocess.run(
        [QILAB, "course", "extend", "absent", A, "--until", "next-ish", "-C", str(course.root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot read 'next-ish' as a date" in lines[0], done.stderr
    assert load_deadlines(course).extensions == saved.extensions  # nothing lost


def test_releasing_again_keeps_the_due_date(cohort, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(cohort["course"].root, copy)
    course = Course.open(copy)
    release(course, force=True)
    with course.gradebook() as gb:
        assert gb.find_assignment(A).duedate == DUE
    data = cohort_data(course, cohort["manifest"], now=NOW)
    assert data.status.set_index("learner").loc["late", "late_by"] == pd.Timedelta(hours=36)
    with course.gradebook() as gb:  # an extension granted in nbgrader itself counts too
        gb.grant_extension(A, "late", days=2)
    row = cohort_data(course, cohort["manifest"], now=NOW).status.set_index("learner").loc["late"]
    assert not row["late"] and row["extended"] and row["due"] == datetime(2025, 3, 12, 17, 0)


def test_release_due_and_export_on_the_command_line(cohort, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(cohort["course"].root, copy)
    shutil.copy(cohort["manifest"], tmp_path / "escalator.yaml")

    def qilab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [QILAB, "course", *args, "-C", str(copy)], capture_output=True, text=True, timeout=120
        )

    done = qilab("release", A, "--due", "2025-03-11 09:30", "--no-exchange")
    assert done.returncode == 0, done.stderr
    assert f"Due 11 Mar 2025 09:30 UTC: {A}" in done.stdout
    with Course.open(copy).gradebook() as gb:
        assert gb.find_assignment(A).duedate == datetime(2025, 3, 11, 9, 30)

    done = qilab("export", "moodle-worksheet", A)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "needs the assignment and --worksheet" in lines[0], done.stderr
    done = qilab("export", "canvas", "--manifest", str(tmp_path / "escalator.yaml"))
    assert done.returncode == 0, done.stderr
    assert "not exported (provisional: written answers awaiting a tutor): pending" in done.stdout
    _, grades = gradefiles.read_canvas(copy / "report" / "canvas_gradebook.csv")
    assert sorted(grades) == sorted(final_percent())


def test_a_hostile_name_is_shown_as_text_and_never_runs_as_html_or_a_formula(cohort, tmp_path):
    """Attack: roster names that are markup (the report is HTML) or spreadsheet formulas (the
    CSVs are opened in Excel). Both must arrive as inert text; grades must not change."""
    copy = tmp_path / "copy"
    shutil.copytree(cohort["course"].root, copy)
    course = Course.open(copy)
    script = "<script>document.title='pwned'</script>"
    formula = '=HYPERLINK("http://evil.example","Click")'
    with course.gradebook() as gb:
        gb.update_or_create_student("fail", first_name=script, last_name=formula)
    report = build_report(course, manifest=cohort["manifest"], now=NOW)
    page = (copy / "report" / "progress.html").read_text()
    portfolio = (copy / "report" / "portfolio" / "fail.html").read_text()
    for html_text in (page, portfolio):
        assert script not in html_text
        assert "&lt;script&gt;document.title=" in html_text
    for name in ("grades.csv", "behind.csv", "canvas_gradebook.csv", "moodle_gradebook.csv"):
        cells = [c for row in csv.reader((copy / "report" / name).open()) for c in row]
        assert not any(c.startswith("=") for c in cells), name
        if name != "behind.csv":  # there the name starts with the first name
            assert any(c.startswith("'=HYPERLINK") for c in cells), name
    assert report.data.status.set_index("learner").loc["fail", "percent"] == 0.0


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour: distances in it follow what people see."""
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_every_status_in_the_completion_chart_has_a_colour_a_tutor_can_tell_apart():
    """'awaiting marking' and 'below outcome minimum' were two near-identical oranges."""
    from qilab.grading.cohort import STATUS_ORDER
    from qilab.grading.report import STATUS_COLOURS

    colours = [STATUS_COLOURS[s] for s in STATUS_ORDER]
    for i, first in enumerate(STATUS_ORDER):
        for second in STATUS_ORDER[i + 1 :]:
            a, b = _lab(STATUS_COLOURS[first]), _lab(STATUS_COLOURS[second])
            distance = sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5
            # ΔE*ab 2.3 is the smallest difference people notice; 10 or more is plain at a
            # glance in neighbouring bars (the old pair of oranges was 4.5 apart)
            assert distance >= 10, (first, second, distance, colours)


def test_every_chart_on_the_progress_page_has_a_description_with_its_numbers(cohort):
    """Without one, a screen reader says only 'Vega visualization' (Vega's placeholder)."""
    from qilab.grading import report

    data = cohort["report"].data
    described = {
        name: make(data).to_dict()["description"]
        for name, make in {
            "completion": report.completion_chart,
            "levels": report.level_chart,
            "distribution": report.distribution_chart,
            "missed": report.missed_chart,
            "outcomes": report.outcome_chart,
        }.items()
    }
    # the by-hand table above: 4 completed, 1 each awaiting / below minimum / below pass mark
    completion = described["completion"]
    for words in (
        "4 completed",
        "1 awaiting marking",
        "1 below outcome minimum",
        "1 below pass mark",
        "2 not submitted",
    ):
        assert words in completion, completion
    # one Foundation module of four released: nobody has completed the level
    assert "Foundation: 0" in described["levels"], described["levels"]
    # final marks 0, 71.4, 75.7, 80, 100, 100: median 77.85
    assert "6 final mark(s) from 0 to 100 %, median 78 %" in described["distribution"]
    page = (cohort["course"].root / "report" / "progress.html").read_text()
    for text in described.values():
        assert json.dumps(text) in page
    spec = report.completion_chart(data).to_dict()
    legend = spec["encoding"]["color"]["legend"]
    assert legend["labelLimit"] >= 300  # "prerequisites not complete" is shown whole
    # each bar says itself to a screen reader, not Vega's list of fields ("order: 2")
    assert spec["encoding"]["description"]["field"] == "says"
    says = {row["says"] for row in spec["datasets"][spec["data"]["name"]]}
    assert any(text.endswith("4 learner(s) completed") for text in says), says
