"""``qilab course``: run a cohort through nbgrader — init, release, collect, autograde, feedback,
report. A thin face over :mod:`qilab.grading`; all logic lives there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qilab.levels import LEVELS

EPILOG = """\
the workflow (grading/README.md explains each step):
  qilab course init cohort-2025 --roster roster.csv      make the course, load the learners
  qilab course release --level foundation --due "2025-03-14 17:00" -C cohort-2025
  qilab course extend d007 foundation_measurement --until "2025-03-21 17:00" -C cohort-2025
  qilab course collect foundation_measurement --from moodle.zip -C cohort-2025
  qilab course autograde foundation_measurement -C cohort-2025   parallel, with limits
  qilab course pending -C cohort-2025                    written answers awaiting a tutor
  (mark them in the Formgrader: cd cohort-2025 && jupyter lab)
  qilab course feedback foundation_measurement -C cohort-2025    HTML per learner
  qilab course report -C cohort-2025                     grades.csv, progress.html, portfolio
  qilab course export moodle-worksheet foundation_measurement --worksheet grades.csv -C cohort-2025
  qilab course restore -C cohort-2025                    list gradebook backups (restore NAME)
  qilab course lms roster -C cohort-2025                 LTI 1.3: learners from the LMS (NRPS)
  qilab course lms grades foundation_measurement -C cohort-2025   final marks to the LMS (AGS)
"""


def _course_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-C",
        "--course",
        default=".",
        metavar="DIR",
        help="the course folder made by `qilab course init` (default: this folder)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "course",
        help="tutors: release, collect, autograde, feedback and reports for a cohort",
        description="Run a cohort through nbgrader: safe, parallel, and with reports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION", dest="action")

    init = sub.add_parser("init", help="make (or update) a cohort course from a roster CSV")
    init.add_argument("directory", help="course folder (created if needed)")
    init.add_argument(
        "--roster", required=True, metavar="CSV", help="CSV with columns id, name, email"
    )
    init.add_argument(
        "--db", metavar="URL", help="gradebook SQLAlchemy URL (default: SQLite in the folder)"
    )
    init.add_argument("--course-id", metavar="ID", help="nbgrader course id (default: DIR's name)")
    init.add_argument(
        "--source",
        metavar="FOLDER",
        help="nbgrader source assignments to copy in (default: assignments/source)",
    )
    init.add_argument(
        "--exchange", metavar="FOLDER", help="nbgrader exchange folder (default: DIR/exchange)"
    )

    rel = sub.add_parser("release", help="generate student versions and release them")
    _course_option(rel)
    rel.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    rel.add_argument("--level", choices=LEVELS)
    rel.add_argument("--no-exchange", action="store_true", help="only generate (LMS cohorts)")
    rel.add_argument("--force", action="store_true", help="regenerate and re-release")
    rel.add_argument(
        "--due",
        metavar="WHEN",
        help="due date and time, e.g. '2025-03-14 17:00' (the course's time zone, UTC unless "
        "c.Exchange.timezone says otherwise)",
    )

    ext = sub.add_parser("extend", help="give one learner more time for one assignment")
    _course_option(ext)
    ext.add_argument("learner", help="learner id")
    ext.add_argument("assignment", help="assignment id, e.g. foundation_measurement")
    ext.add_argument("--until", required=True, metavar="WHEN", help="the new deadline")

    pen = sub.add_parser("pending", help="written answers awaiting a tutor, by assignment")
    _course_option(pen)
    pen.add_argument("assignment", nargs="?", help="only this assignment")

    col = sub.add_parser("collect", help="collect submissions (exchange, or an LMS zip/folder)")
    _course_option(col)
    col.add_argument("assignment", help="assignment id, e.g. foundation_measurement")
    col.add_argument(
        "--from", dest="source", metavar="ZIP_OR_FOLDER", help="an LMS download (default: exchange)"
    )

    auto = sub.add_parser(
        "autograde",
        help="autograde submissions in parallel",
        description="Mark new or re-submitted work with nbgrader, several notebooks at a time: "
        "each submission is a Dask task, run by a LocalCluster on this computer (one worker "
        "per CPU core) or, with --scheduler, by an academy's Dask cluster. Every learner's "
        "kernel runs in a bubblewrap sandbox, on whichever worker runs it.",
    )
    _course_option(auto)
    auto.add_argument("assignment", help="assignment id, e.g. foundation_measurement")
    auto.add_argument(
        "--learner", action="append", metavar="ID", help="only this learner (repeatable)"
    )
    auto.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="notebooks run at once on this computer (default: CPU cores)",
    )
    auto.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an academy's Dask scheduler, e.g. tcp://marking-host:8786: its workers run the "
        "notebooks (they need QI Lab's pinned environment and bubblewrap, not the course "
        "folder; default: c.QilabGrading.scheduler, else a LocalCluster here)",
    )
    auto.add_argument("--force", action="store_true", help="regrade already graded submissions")
    auto.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="time for one submission, all cells"
    )
    auto.add_argument("--cell-timeout", type=int, metavar="SECONDS", help="time for one cell")
    auto.add_argument("--memory", type=int, metavar="MIB", help="memory cap per submission")
    auto.add_argument("--no-progress", action="store_true", help="no progress bar")
    auto.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run learners' code WITHOUT the bubblewrap sandbox (it could then read the "
        "solutions and change the gradebook): only where bubblewrap cannot run",
    )

    fb = sub.add_parser("feedback", help="write (and release) each learner's HTML feedback")
    _course_option(fb)
    fb.add_argument("assignment", help="assignment id, e.g. foundation_measurement")
    fb.add_argument(
        "--learner", action="append", metavar="ID", help="only this learner (repeatable)"
    )
    fb.add_argument("--no-release", action="store_true", help="do not release via the exchange")
    fb.add_argument(
        "--provisional",
        action="store_true",
        help="also write pages for learners whose written answers are not marked yet, "
        "labelled provisional (default: hold them back)",
    )

    res = sub.add_parser(
        "restore",
        help="list the gradebook backups, or restore one (the current one is kept too)",
        description="Autograde backs up a SQLite gradebook before each run (the newest "
        "c.QilabGrading.backups are kept in DIR/backups). With no BACKUP, list them; with one, "
        "restore it after saving the current gradebook beside them.",
    )
    _course_option(res)
    res.add_argument("backup", nargs="?", metavar="BACKUP", help="a name from the list, or latest")

    rep = sub.add_parser("report", help="grades CSV, cohort progress page, portfolio pages")
    _course_option(rep)
    rep.add_argument("--out", metavar="FOLDER", help="where to write (default: DIR/report)")
    rep.add_argument(
        "--manifest", metavar="YAML", help="escalator manifest (default: curriculum/escalator.yaml)"
    )

    exp = sub.add_parser("export", help="grade files for Moodle or Canvas (final marks only)")
    _course_option(exp)
    exp.add_argument("format", choices=["moodle", "moodle-worksheet", "canvas"])
    exp.add_argument("assignment", nargs="?", help="assignment id (moodle-worksheet only)")
    exp.add_argument(
        "--worksheet", metavar="CSV", help="the grading worksheet downloaded from Moodle"
    )
    exp.add_argument(
        "--key",
        choices=["email", "idnumber"],
        default="email",
        help="Moodle gradebook: identify learners by email address or ID number (roster id)",
    )
    exp.add_argument("--out", metavar="FILE", help="where to write (default: DIR/report/…)")
    exp.add_argument(
        "--manifest", metavar="YAML", help="escalator manifest (default: curriculum/escalator.yaml)"
    )

    from .course_lms import register_lms

    register_lms(sub, _course_option)
    parser.set_defaults(func=run, action=None, _parser=parser)


def run(args: argparse.Namespace) -> int:
    from qilab.grading.autograde import autograde
    from qilab.grading.collect import collect
    from qilab.grading.course import Course, init_course
    from qilab.grading.deadlines import course_timezone, extend, parse_when
    from qilab.grading.feedback import generate_feedback
    from qilab.grading.integrity import Status
    from qilab.grading.release import release
    from qilab.grading.report import build_report

    if args.action == "init":
        report = init_course(
            args.directory,
            args.roster,
            db_url=args.db,
            course_id=args.course_id,
            source=args.source,
            exchange=args.exchange,
        )
        print(report)
        return 1 if report.problems else 0
    if args.action is None:
        args._parser.print_help()
        return 2
    course = Course.open(Path(args.course))
    if args.action == "release":
        due = parse_when(args.due, course_timezone(course)) if args.due else None
        result = release(
            course,
            args.assignments or None,
            level=args.level,
            exchange=not args.no_exchange,
            force=args.force,
            due=due,
        )
        print(result)
        return 1 if result.errors else 0
    if args.action == "collect":
        result = collect(course, args.assignment, args.source)
        print(result)
        return 1 if (result.unknown or result.problems or result.kept_aside) else 0
    if args.action == "autograde":
        result = autograde(
            course,
            args.assignment,
            learners=args.learner,
            workers=args.workers,
            force=args.force,
            submission_timeout=args.timeout,
            memory_limit_mb=args.memory,
            cell_timeout=args.cell_timeout,
            progress=not args.no_progress,
            sandbox=False if args.no_sandbox else None,
            scheduler=args.scheduler,
        )
        print(result)
        return 1 if any(o.status == Status.NOT_GRADED for o in result.outcomes) else 0
    if args.action == "feedback":
        result = generate_feedback(
            course,
            args.assignment,
            learners=args.learner,
            release=not args.no_release,
            provisional=args.provisional,
        )
        print(result)
        return 1 if (result.errors or result.withheld) else 0
    if args.action == "restore":
        from qilab.grading.backup import restore

        print(restore(course, args.backup))
        return 0
    if args.action == "report":
        print(build_report(course, args.out, args.manifest))
        return 0
    if args.action == "extend":
        print(
            extend(
                course,
                args.learner,
                args.assignment,
                parse_when(args.until, course_timezone(course)),
            )
        )
        return 0
    if args.action == "pending":
        from qilab.grading.pending import pending_text

        print(pending_text(course, args.assignment))
        return 0
    if args.action == "export":
        return _export(course, args)
    if args.action == "lms":
        from .course_lms import run_lms

        return run_lms(course, args)
    args._parser.print_help()
    return 2


def _export(course: object, args: argparse.Namespace) -> int:
    from qilab.grading import gradefiles
    from qilab.grading.cohort import cohort_data
    from qilab.grading.course import CourseError

    data = cohort_data(course, args.manifest)  # type: ignore[arg-type]
    folder = course.root / "report"  # type: ignore[attr-defined]
    folder.mkdir(exist_ok=True)
    if args.format == "moodle-worksheet":
        if not args.assignment or not args.worksheet:
            raise CourseError(
                "moodle-worksheet needs the assignment and --worksheet CSV (download it from "
                "Moodle: Assignment → View all submissions → Download grading worksheet)."
            )
        out = Path(args.out) if args.out else folder / f"moodle_worksheet_{args.assignment}.csv"
        result = gradefiles.moodle_worksheet(data, args.assignment, Path(args.worksheet), out)
        print(result)
        return 1 if (result.not_in_worksheet or result.unknown) else 0
    if args.format == "moodle":
        out = Path(args.out) if args.out else folder / "moodle_gradebook.csv"
        gradefiles.moodle_gradebook(data, out, key=args.key)
        column = gradefiles.MOODLE_KEYS[args.key]
        target = "useremail" if args.key == "email" else "useridnumber"
        print(f"Moodle gradebook import: {out} (map from {column!r} to {target!r})")
    else:
        out = Path(args.out) if args.out else folder / "canvas_gradebook.csv"
        gradefiles.canvas_gradebook(data, out)
        print(f"Canvas gradebook import: {out} (learners matched by SIS User ID)")
    held = sorted(set(data.status.loc[data.status["marks"] == "provisional", "learner"]))
    if held:
        print(f"  not exported (provisional: written answers awaiting a tutor): {', '.join(held)}")
    return 0
