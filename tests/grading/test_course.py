"""`qilab course init` and `release`: safe to run again, loud about bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from qilab.grading import synthetic
from qilab.grading.course import Course, CourseError, init_course
from qilab.grading.release import release, select_assignments

import qilab.cli

NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def roster(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text("id,name,email\n" + text)
    return path


@pytest.fixture
def cli(monkeypatch):
    """`qilab …` through the real entry point, with `course` registered."""
    if "course" not in qilab.cli.SUBCOMMANDS:
        monkeypatch.setattr(qilab.cli, "SUBCOMMANDS", [*qilab.cli.SUBCOMMANDS, "course"])
    return qilab.cli.main


@pytest.mark.slow
def test_init_makes_an_nbgrader_course_and_reruns_never_delete(tmp_path, source_dir):
    first = init_course(
        tmp_path / "cohort",
        roster(tmp_path, "d1,Aisha Khan,a.khan@nhs.example\nd2,Ben Okoro,b.okoro@nhs.example\n"),
        source=source_dir,
    )
    assert first.created and sorted(first.added) == ["d1", "d2"]
    assert first.assignments_copied == [synthetic.ASSIGNMENT]
    for step in ("source", "release", "submitted", "autograded", "feedback", "exchange"):
        assert (tmp_path / "cohort" / step).is_dir()
    # A later roster: one learner changed email, one is new, d2 has left the course.
    second = init_course(
        tmp_path / "cohort",
        roster(tmp_path, "d1,Aisha Khan,aisha@nhs.example\nd3,Chloe Smith,\n", "later.csv"),
        source=source_dir,
    )
    assert not second.created
    assert (second.added, second.updated, second.not_in_roster) == (["d3"], ["d1"], ["d2"])
    course = Course.open(tmp_path / "cohort")
    assert sorted(learner.id for learner in course.learners()) == ["d1", "d2", "d3"]
    # plain nbgrader reads the same gradebook through the course's config
    done = subprocess.run(
        [NBGRADER, "db", "student", "list"], cwd=course.root, capture_output=True, text=True
    )
    assert done.returncode == 0 and "aisha@nhs.example" in done.stdout


def test_edited_sources_and_config_are_kept(tmp_path, source_dir):
    path = roster(tmp_path, "d1,A B,\n")
    init_course(tmp_path / "cohort", path, source=source_dir)
    notebook = (
        tmp_path / "cohort" / "source" / synthetic.ASSIGNMENT / f"{synthetic.ASSIGNMENT}.ipynb"
    )
    notebook.write_text(notebook.read_text().replace("synthetic weekly falls", "our falls"))
    config = tmp_path / "cohort" / "nbgrader_config.py"
    config.write_text(config.read_text() + "\n# tutor's note\n")
    again = init_course(tmp_path / "cohort", path, source=source_dir)
    assert again.assignments_kept == [synthetic.ASSIGNMENT]
    assert "our falls" in notebook.read_text()
    assert config.read_text().endswith("# tutor's note\n")


def test_init_refuses_a_folder_with_other_files_and_a_second_database(tmp_path, source_dir):
    path = roster(tmp_path, "d1,A B,\n")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_text("precious")
    with pytest.raises(CourseError, match="already holds other files"):
        init_course(tmp_path / "busy", path, source=source_dir)
    init_course(tmp_path / "cohort", path, source=source_dir)
    with pytest.raises(CourseError, match="already uses the gradebook"):
        init_course(tmp_path / "cohort", path, db_url="sqlite:////elsewhere/grades.db")


def test_cli_init_reports_bad_rows_and_exits_1(tmp_path, source_dir, cli, capsys):
    path = roster(tmp_path, "d1,A B,a@nhs.example\n,No Id,\nd1,Again,\nd4,Bad Mail,nope\n")
    code = cli(
        ["course", "init", str(tmp_path / "c"), "--roster", str(path), "--source", str(source_dir)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "3 roster row(s) NOT added" in out
    for row in ("row 3: no learner id", "row 4: duplicate", "row 5: email 'nope'"):
        assert row in out


def test_cli_errors_are_one_line_not_tracebacks(tmp_path, cli, capsys):
    code = cli(["course", "autograde", "foundation_pdsa", "-C", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "not a course folder" in err and "qilab course init" in err
    code = cli(["course", "init", str(tmp_path / "c"), "--roster", str(tmp_path / "none.csv")])
    assert code == 2 and "No roster at" in capsys.readouterr().err


def test_release_selects_by_level_and_name_and_is_safe_to_repeat(make_course):
    course = make_course(["d1"])  # released once already by the fixture
    assert select_assignments(course, level="foundation") == [synthetic.ASSIGNMENT]
    with pytest.raises(CourseError, match="no practitioner assignments"):
        select_assignments(course, level="practitioner")
    with pytest.raises(CourseError, match="no assignment called nope"):
        select_assignments(course, ["nope"])
    again = release(course)
    assert again.already_generated == [synthetic.ASSIGNMENT]
    assert again.already_released == [synthetic.ASSIGNMENT] and not again.errors
    outbound = course.exchange_root() / course.course_id / "outbound" / synthetic.ASSIGNMENT
    assert (outbound / f"{synthetic.ASSIGNMENT}.ipynb").is_file()
    released = (
        course.root / "release" / synthetic.ASSIGNMENT / f"{synthetic.ASSIGNMENT}.ipynb"
    ).read_text()
    assert synthetic.HIDDEN_MARKER not in released and "ordered = sorted" not in released


@pytest.mark.slow
def test_cli_runs_autograde_feedback_and_report(make_course, place, cli, capsys):
    course = make_course(["sol", "broken"])
    place(course, "sol", "solution")
    place(course, "broken", "corrupted")
    args = ["-C", str(course.root)]
    code = cli(["course", "autograde", synthetic.ASSIGNMENT, *args, "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1  # one submission could not be marked: scripts notice
    assert "1 graded, 1 not graded" in out and "not a readable notebook" in out
    # sol's reflection waits for a tutor: held back by default, labelled with --provisional
    assert cli(["course", "feedback", synthetic.ASSIGNMENT, *args]) == 0
    out = capsys.readouterr().out
    assert "0 page(s) written" in out and "held back until their written answers" in out
    assert cli(["course", "feedback", synthetic.ASSIGNMENT, *args, "--provisional"]) == 0
    assert "1 page(s) written" in capsys.readouterr().out
    assert cli(["course", "report", *args]) == 0
    assert "progress.html" in capsys.readouterr().out
    assert (course.root / "report" / "grades.csv").is_file()


@pytest.mark.slow
def test_steps_out_of_order_say_what_to_do_first(make_course):
    from qilab.grading.autograde import autograde
    from qilab.grading.collect import collect
    from qilab.grading.feedback import generate_feedback
    from qilab.grading.report import build_report

    course = make_course(["d1", "d2"])
    assert "collect them with `qilab course collect" in str(autograde(course, synthetic.ASSIGNMENT))
    with pytest.raises(CourseError, match="autograde foundation_measurement` first"):
        generate_feedback(course, synthetic.ASSIGNMENT)
    with pytest.raises(CourseError, match="release it first"):
        autograde(course, "practitioner_pdsa")
    with pytest.raises(CourseError, match="practitioner_pdsa' has not been released"):
        collect(course, "practitioner_pdsa", course.root / "no-such-export.zip")
    data = build_report(course).data  # an empty cohort still gets its (empty) reports
    assert set(data.status["status"]) == {"not submitted"}
    assert (course.root / "report" / "progress.html").stat().st_size > 100_000  # Vega inline


def test_a_submission_without_the_notebook_is_reported_not_guessed(make_course):
    from qilab.grading.autograde import autograde

    course = make_course(["d1"])
    folder = course.root / "submitted" / "d1" / synthetic.ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "my answers.docx").write_bytes(b"PK\x03\x04")
    report = autograde(course, synthetic.ASSIGNMENT, progress=False)
    outcome = report.outcome("d1")
    assert outcome.status == "not-graded" and outcome.record.codes() == [
        "missing-notebook",
        "no-notebook",
    ]
    assert "my answers.docx" in outcome.record.issues[-1].message


def test_a_missing_postgresql_driver_says_how_to_install_it_and_leaves_nothing(
    tmp_path, source_dir, monkeypatch
):
    monkeypatch.setitem(sys.modules, "psycopg2", None)  # as in an environment without it
    roster = synthetic.write_roster(tmp_path / "roster.csv", ["d1"])
    target = tmp_path / "cohort"
    with pytest.raises(CourseError, match=r"pip install 'qilab\[postgres\]'") as raised:
        init_course(
            target, roster, db_url="postgresql+psycopg2://qilab@dbhost/c", source=source_dir
        )
    assert "psycopg2" in str(raised.value) and "running" not in str(raised.value)
    assert not target.exists()


def test_a_gradebook_that_cannot_be_reached_leaves_no_half_made_course(tmp_path, source_dir):
    from qilab.ports import free_port

    roster = synthetic.write_roster(tmp_path / "roster.csv", ["d1"])
    target = tmp_path / "cohort"
    url = f"postgresql+psycopg2://qilab@127.0.0.1:{free_port()}/nowhere"  # nothing listens
    with pytest.raises(CourseError, match="check the database is running"):
        init_course(target, roster, db_url=url, source=source_dir)
    assert not target.exists()
    kept = tmp_path / "kept"  # a folder the tutor made: kept, only our files removed
    kept.mkdir()
    with pytest.raises(CourseError):
        init_course(kept, roster, db_url=url, source=source_dir)
    assert kept.is_dir() and list(kept.iterdir()) == []


def test_a_name_is_kept_as_written_with_its_surname_whole(tmp_path, source_dir):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nd1,Dr Siân Ó Briain\nd2,Prof Anna van der Berg\n", "utf-8")
    init_course(tmp_path / "cohort", roster, source=source_dir)
    people = {p.id: p for p in Course.open(tmp_path / "cohort").learners()}
    assert people["d1"].name == "Dr Siân Ó Briain"
    assert (people["d1"].first_name, people["d1"].last_name) == ("Dr Siân", "Ó Briain")
    assert (people["d2"].first_name, people["d2"].last_name) == ("Prof Anna", "van der Berg")


def test_new_courses_keep_no_widget_state_in_marked_notebooks(tmp_path, source_dir):
    roster = synthetic.write_roster(tmp_path / "roster.csv", ["d1"])
    init_course(tmp_path / "cohort", roster, source=source_dir)
    config = Course.open(tmp_path / "cohort").config()
    assert config.Execute.store_widget_state is False
    assert config.QilabGrading.sandbox is True


def test_the_checkout_course_uses_the_one_nbgrader_configuration(repo, tmp_path):
    """assignments/ (where learners practise) marks exactly as a cohort course does."""
    from qilab.grading.course import (
        AUTOGRADE_PREPROCESSORS,
        SANITIZE_PREPROCESSORS,
        checkout_config_text,
        config_text,
    )
    from traitlets.config.loader import PyFileConfigLoader

    text = (repo / "assignments" / "nbgrader_config.py").read_text()
    assert text == checkout_config_text(), (
        "assignments/nbgrader_config.py differs from grading/course.py's template: change the "
        'template, then rewrite the file with `.venv/bin/python -c "from qilab.grading.course '
        "import checkout_config_text as t; open('assignments/nbgrader_config.py', 'w')"
        '.write(t())"`'
    )
    checkout = PyFileConfigLoader("nbgrader_config.py", path=str(repo / "assignments"))
    checkout_config = checkout.load_config()
    (tmp_path / "nbgrader_config.py").write_text(config_text("cohort"))
    cohort = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    for section in ("Autograde", "Execute", "GenerateFeedback", "QilabGrading", "LatePenalty"):
        assert checkout_config[section] == cohort[section], section
    assert list(checkout_config.Autograde.autograde_preprocessors) == AUTOGRADE_PREPROCESSORS
    assert list(checkout_config.Autograde.sanitize_preprocessors) == SANITIZE_PREPROCESSORS
    assert checkout_config.CourseDirectory.db_url.endswith("/.qilab/gradebook.db")
