"""``qilab course``: run a cohort through nbgrader — init, release, collect, autograde, feedback,
report. A thin face over :mod:`qilab.grading`; all logic lives there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
the workflow (grading/README.md explains each step):
  qilab course init cohort-2025 --roster roster.csv      make the course, load the learners
  qilab course release --level foundation -C cohort-2025 student versions (+ exchange)
  qilab course collect foundation_measurement --from moodle.zip -C cohort-2025
  qilab course autograde foundation_measurement -C cohort-2025   parallel, with limits
  (mark reflections in the Formgrader: cd cohort-2025 && jupyter lab)
  qilab course feedback foundation_measurement -C cohort-2025    HTML per learner
  qilab course report -C cohort-2025                     grades.csv, progress.html, portfolio
  qilab course restore -C cohort-2025                    list gradebook backups (restore NAME)
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
    rel.add_argument("--level", choices=["foundation", "practitioner", "advanced"])
    rel.add_argument("--no-exchange", action="store_true", help="only generate (LMS cohorts)")
    rel.add_argument("--force", action="store_true", help="regenerate and re-release")

    col = sub.add_parser("collect", help="collect submissions (exchange, or an LMS zip/folder)")
    _course_option(col)
    col.add_argument("assignment", help="assignment id, e.g. foundation_measurement")
    col.add_argument(
        "--from", dest="source", metavar="ZIP_OR_FOLDER", help="an LMS download (default: exchange)"
    )

    auto = sub.add_parser("autograde", help="autograde submissions in parallel")
    _course_option(auto)
    auto.add_argument("assignment", help="assignment id, e.g. foundation_measurement")
    auto.add_argument(
        "--learner", action="append", metavar="ID", help="only this learner (repeatable)"
    )
    auto.add_argument(
        "--workers", type=int, metavar="N", help="notebooks run at once (default: CPU cores)"
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

    parser.set_defaults(func=run, action=None, _parser=parser)


def run(args: argparse.Namespace) -> int:
    from qilab.grading.autograde import autograde
    from qilab.grading.collect import collect
    from qilab.grading.course import Course, init_course
    from qilab.grading.feedback import generate_feedback
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
        result = release(
            course,
            args.assignments or None,
            level=args.level,
            exchange=not args.no_exchange,
            force=args.force,
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
        )
        print(result)
        return 1 if any(o.status == "not-graded" for o in result.outcomes) else 0
    if args.action == "feedback":
        result = generate_feedback(
            course, args.assignment, learners=args.learner, release=not args.no_release
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
    args._parser.print_help()
    return 2
