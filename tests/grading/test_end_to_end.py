"""A whole cohort through the tutor's workflow, with the submissions real cohorts produce.

One synthetic cohort is initialised, released, collected (two learners through nbgrader's
exchange with real ``nbgrader submit``, the rest from a Moodle-style zip that also holds an
unknown learner and a duplicate), autograded in parallel, given feedback and reported. Each
test then checks one thing a tutor relies on; the parallel marks are compared, cell by cell,
with plain ``nbgrader autograde`` run on a copy of the same course.
"""

from __future__ import annotations

import hashlib
import http.server
import shutil
import subprocess
import sys
import threading
import zipfile
from functools import partial
from pathlib import Path

import nbformat
import pytest
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.collect import collect
from qilab.grading.course import Course, init_course
from qilab.grading.feedback import generate_feedback, read_feedback
from qilab.grading.release import release
from qilab.grading.report import build_report
from qilab.grading.results import load_gradebook

pytestmark = pytest.mark.slow

A = synthetic.ASSIGNMENT
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
EXCHANGE_LEARNERS = {"sol-a": "solution", "partial": "partial"}
LMS_LEARNERS = {
    "sol-b": "solution",
    "blank": "blank",
    "warns": "warns",
    "loop": "loop",
    "bomb": "bomb",
    "tamper": "tamper",
    "deleted": "deleted",
    "oddities": "oddities",
    "corrupt": "corrupted",
}
ROSTER = [*EXCHANGE_LEARNERS, *LMS_LEARNERS, "absent"]
REPO = Path(__file__).resolve().parents[2]


def manifest_text() -> str:
    """The course's escalator with Foundation measurement's pass mark raised to 60 %."""
    text = (REPO / "curriculum" / "escalator.yaml").read_text()
    anchor = "    lesson: foundation/measurement.ipynb\n"
    assert anchor in text
    return text.replace(anchor, anchor + "    pass_mark: 60\n")


def lms_zip(path: Path, released: nbformat.NotebookNode) -> Path:
    """A Moodle-style download: one folder per learner, named with the learner's id."""
    with zipfile.ZipFile(path, "w") as archive:
        for learner, kind in LMS_LEARNERS.items():
            name = f"Dr {learner.title()}_{learner}_assignsubmission_file_/run charts.ipynb"
            info = zipfile.ZipInfo(name, date_time=(2025, 3, 14, 17, 30, 0))
            if kind == "corrupted":
                archive.writestr(info, synthetic.CORRUPTED)
            else:
                archive.writestr(info, nbformat.writes(synthetic.submission(released, kind)))
        # an earlier, blank attempt by sol-b in the same download: the newer file must win
        older = zipfile.ZipInfo("sol-b_first_attempt.ipynb", date_time=(2025, 3, 10, 9, 0, 0))
        archive.writestr(older, nbformat.writes(synthetic.submission(released, "blank")))
        stranger = "Dr Zed Nobody_zz99_assignsubmission_file_/run charts.ipynb"
        archive.writestr(stranger, nbformat.writes(synthetic.submission(released, "solution")))
    return path


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def cell_scores(course: Course) -> dict[tuple[str, str], tuple[float | None, bool]]:
    grades = load_gradebook(course).grades
    return {
        (row.learner, row.cell): (
            None if row.auto_score != row.auto_score else row.auto_score,  # NaN → None
            bool(row.needs_manual_grade),
        )
        for row in grades.itertuples()
    }


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory, exchange_submit) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("e2e")
    synthetic.write_source(tmp / "sources")
    roster = synthetic.write_roster(tmp / "roster.csv", ROSTER)
    init = init_course(
        tmp / "cohort",
        roster,
        source=tmp / "sources" / "source",
        # generous for a loaded CI machine; the endless loop waits this long, once
        cell_timeout=10,
        submission_timeout=120,
        memory_limit_mb=1024,
    )
    course = Course.open(tmp / "cohort")
    released_report = release(course)
    released = nbformat.read(course.root / "release" / A / f"{A}.ipynb", 4)

    for learner, kind in EXCHANGE_LEARNERS.items():
        exchange_submit(course, learner, kind, tmp / "homes")
    from_exchange = collect(course, A)
    from_lms = collect(course, A, lms_zip(tmp / "moodle.zip", released))
    submitted_before = digests(course.root / "submitted")

    # The same course as plain nbgrader sees it, for the comparison (without the memory bomb,
    # which only runs under a memory cap, and the damaged file, which nbgrader cannot read).
    serial = tmp / "serial"
    shutil.copytree(course.root, serial)
    for learner in ("bomb", "corrupt"):
        shutil.rmtree(serial / "submitted" / learner)

    graded = autograde(course, A, workers=2, progress=False)
    return {
        "tmp": tmp,
        "course": course,
        "init": init,
        "release": released_report,
        "from_exchange": from_exchange,
        "from_lms": from_lms,
        "submitted_before": submitted_before,
        "serial": serial,
        "graded": graded,
    }


def test_init_release_and_collect_report_every_learner(cohort):
    assert sorted(cohort["init"].added) == sorted(ROSTER)
    assert cohort["release"].generated == [A] and cohort["release"].released == [A]
    exchange, lms = cohort["from_exchange"], cohort["from_lms"]
    assert sorted(exchange.collected) == sorted(EXCHANGE_LEARNERS)
    assert sorted(lms.collected) == sorted(LMS_LEARNERS)
    assert any("zz99" in item for item in lms.unknown)  # the stranger: reported, kept
    assert any("duplicate files for sol-b" in item for item in lms.problems)
    assert lms.not_submitted == ["absent"]
    course = cohort["course"]
    kept = list((course.root / "unmatched" / A).rglob("*.ipynb"))
    assert len(kept) == 2  # the stranger's file and sol-b's older attempt
    answer = nbformat.read(course.root / "submitted" / "sol-b" / A / f"{A}.ipynb", 4)
    assert synthetic.REFLECTION in answer.cells[-1].source  # the newer file, not the blank one


def test_every_outcome_is_what_a_tutor_expects(cohort):
    report = cohort["graded"]
    status = {o.learner: o.status for o in report.outcomes}
    codes = {o.learner: set(o.record.codes()) for o in report.outcomes}
    scores = cell_scores(cohort["course"])

    def auto(learner: str) -> tuple[float | None, float | None]:
        return scores[(learner, "median_tests")][0], scores[(learner, "crossings_tests")][0]

    for learner in ("sol-a", "sol-b", "warns"):  # a stderr warning does not cost marks
        assert status[learner] == "graded" and auto(learner) == (2, 3), learner
        assert scores[(learner, "reflection")] == (None, True)  # waits for the tutor
    assert auto("partial") == (2, 1)  # partial credit from the test cell's value
    assert status["blank"] == "graded" and auto("blank") == (0, 0)
    assert codes["blank"] == {"empty"} and scores[("blank", "reflection")] == (0, False)
    # an endless loop and a memory bomb fail their own cells, not the run or the cohort
    assert status["loop"] == "graded-with-issues" and "cell-timeout" in codes["loop"]
    assert auto("loop") == (2, 0)
    assert status["bomb"] == "graded-with-issues" and "memory" in codes["bomb"]
    assert auto("bomb") == (2, 0)
    # an edited test cell is marked as released, and the tutor is told
    assert {"altered-cell", "changed-points"} <= codes["tamper"] and auto("tamper") == (0, 2)
    # a deleted test cell is restored and marked, not left 'needs manual grade'
    assert "deleted-cell" in codes["deleted"] and auto("deleted") == (2, 3)
    assert scores[("deleted", "crossings_tests")] == (3, False)
    assert {"duplicate-id", "wrong-kernel", "changed-type"} <= codes["oddities"]
    assert auto("oddities") == (2, 3)
    assert status["corrupt"] == "not-graded" and codes["corrupt"] == {"corrupted"}
    assert not any(learner == "corrupt" for learner, _ in scores)
    totals = {o.learner: o.max_score for o in report.outcomes if o.max_score is not None}
    assert set(totals.values()) == {7.0}  # changed points never change the maximum


def test_flags_and_integrity_records_reach_the_gradebook_and_disk(cohort):
    course = cohort["course"]
    book = load_gradebook(course).submissions().set_index("learner")
    for learner in ("loop", "bomb", "tamper", "deleted", "oddities"):
        assert book.loc[learner, "flagged"], learner
    for learner in ("sol-a", "blank", "warns"):
        assert not book.loc[learner, "flagged"], learner
    record = (course.root / "integrity" / A / "corrupt.json").read_text()
    assert "not a readable notebook" in record and "submit it again" in record


def test_parallel_marks_equal_plain_nbgrader_cell_by_cell(cohort):
    serial = Course.open(cohort["serial"])
    done = subprocess.run(
        [NBGRADER, "autograde", A], cwd=serial.root, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    parallel = {
        key: value
        for key, value in cell_scores(cohort["course"]).items()
        if key[0] not in ("bomb", "corrupt")
    }
    plain = cell_scores(serial)
    assert len(plain) == 3 * 9  # three graded cells for each of nine learners
    assert parallel == plain


def test_submissions_are_never_changed_and_reruns_are_safe(cohort):
    course = cohort["course"]
    before = cell_scores(course)
    again = autograde(course, A, workers=2, progress=False)
    assert sorted(again.skipped) == sorted(set(ROSTER) - {"corrupt", "absent"})
    assert [o.learner for o in again.outcomes] == ["corrupt"]  # tried again, still reported
    forced = autograde(course, A, learners=["sol-a", "tamper"], force=True, progress=False)
    assert {o.learner: o.score for o in forced.outcomes} == {"sol-a": 5.0, "tamper": 2.0}
    assert cell_scores(course) == before
    assert digests(course.root / "submitted") == cohort["submitted_before"]


def test_feedback_explains_failures_without_revealing_hidden_tests(cohort):
    course = cohort["course"]
    report = generate_feedback(course, A, provisional=True)  # reflections are not marked yet
    assert not report.errors and not report.withheld, report
    learners = sorted(set(ROSTER) - {"corrupt", "absent"})
    assert sorted(p.parent.parent.name for p in report.pages) == learners
    # exchange learners get theirs through the exchange; LMS learners through the LMS
    assert sorted(report.released) == sorted(EXCHANGE_LEARNERS)
    assert sorted(report.not_released) == sorted(set(learners) - set(EXCHANGE_LEARNERS))
    hidden = [synthetic.HIDDEN_MARKER, "crossings(falls, run_median(falls))"]
    for page in report.pages:
        text = read_feedback(page)
        raw = page.read_text()
        assert not any(h in text or h in raw for h in hidden), page
        assert "cdnjs" not in raw  # opens offline
    partial_text = read_feedback(course.root / "feedback" / "partial" / A / f"{A}.html")
    assert "Partly passed: 1 of 3 marks" in partial_text
    blank_text = read_feedback(course.root / "feedback" / "blank" / A / f"{A}.html")
    assert "still says `raise NotImplementedError()`" in blank_text
    assert synthetic.MEDIAN_SOLUTION.splitlines()[0] not in blank_text  # no model answer
    deleted_text = read_feedback(course.root / "feedback" / "deleted" / A / f"{A}.html")
    assert "put back before marking" in deleted_text
    outbound = course.exchange_root() / course.course_id / "feedback"
    assert len(list(outbound.rglob("*.html"))) == len(EXCHANGE_LEARNERS)


def test_nbgraders_own_feedback_would_leak_and_is_withheld(cohort):
    """Proof that the leak is real: without PlainWordsFeedback the guard catches it."""
    course = cohort["course"]
    config = course.root / "nbgrader_config.py"
    original = config.read_text()
    try:
        config.write_text(
            original.replace('    "qilab.grading.feedback.PlainWordsFeedback",\n', "")
        )
        report = generate_feedback(course, A, learners=["sol-a"], release=False, provisional=True)
    finally:
        config.write_text(original)
    assert not report.pages and len(report.withheld) == 1
    assert not (course.root / "feedback" / "sol-a" / A / f"{A}.html").exists()


def test_reports_show_progress_outcomes_and_levels(cohort):
    course = cohort["course"]
    manifest = cohort["tmp"] / "escalator.yaml"
    manifest.write_text(manifest_text())
    # The tutor marks sol-a's reflection in the Formgrader (here: nbgrader's API).
    with course.gradebook() as gb:
        grade = gb.find_grade("reflection", A, A, "sol-a")
        grade.manual_score = 2.0
        grade.needs_manual_grade = False
        gb.db.commit()
    report = build_report(course, manifest=manifest)
    data = report.data
    status = data.status.set_index("learner")["status"]
    assert status["sol-a"] == "completed"
    assert status["sol-b"] == "awaiting marking"
    assert status["blank"] == "below pass mark"
    assert status["corrupt"] == "not graded (see integrity)"
    assert status["absent"] == "not submitted"
    levels = data.levels[data.levels["level"] == "foundation"].set_index("learner")
    # one of Foundation's four modules is released: nobody has completed the level yet
    assert levels.loc["sol-a", "modules_done"] == 1 and not levels["completed"].any()

    grades = (course.root / "report" / "grades.csv").read_text().splitlines()
    assert grades[0] == (
        "learner_id,first_name,last_name,email,foundation_measurement (%),"
        "foundation_measurement status"
    )
    rows = {line.split(",")[0]: line.split(",")[-2:] for line in grades[1:]}
    assert rows["sol-a"] == ["100.0", "final"] and rows["absent"] == ["", "not submitted"]
    assert rows["partial"] == [
        "42.9",
        "provisional: awaiting tutor marking: reflection (2 marks)",
    ]

    attainment = data.attainment.set_index(["learner", "outcome"])["percent"]
    assert attainment[("sol-a", "foundation_measurement.5")] == 100
    assert attainment[("partial", "foundation_measurement.4")] == pytest.approx(100 / 3)
    assert ("sol-b", "foundation_measurement.5") not in attainment.index  # not marked yet

    portfolio = (course.root / "report" / "portfolio" / "sol-a.html").read_text()
    assert "Levels completed: <strong>none yet</strong>" in portfolio
    assert "Interpret a run chart in plain language" in portfolio and "achieved" in portfolio
    page = (course.root / "report" / "progress.html").read_text()
    for finding in ("locked test cell", "ran out of memory", "not a readable notebook"):
        assert finding in page
    assert "cdn." not in page and "https://cdn" not in page


@pytest.mark.browser
def test_progress_page_draws_its_charts_offline(cohort, page):
    course = cohort["course"]
    if not (course.root / "report" / "progress.html").exists():
        build_report(course)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(course.root / "report"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/progress.html"
        page.page.goto(url)
        page.page.wait_for_function(
            "document.querySelectorAll('.chart svg.marks').length >= 5", timeout=30_000
        )
        assert "Chart failed" not in page.page.inner_text("body")
    finally:
        server.shutdown()
    assert page.errors == []
    assert page.external_requests() == []
