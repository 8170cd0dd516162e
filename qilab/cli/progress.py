"""``qilab progress``: which modules and levels a learner has completed.

A thin face over :func:`qilab.curriculum.progress.progress`, which reads the nbgrader gradebook
read-only and applies the escalator's one pass rule (:mod:`qilab.escalator.rules`, as the tutor's
reports do): a module is complete when its marks are final, reach its pass mark and any outcome
minimum, and its prerequisites are complete; provisional marks say what is pending.
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  qilab progress                          your own progress (your user name is your learner id)
  qilab progress --learner amira          a learner's progress (tutors)
  qilab progress --gradebook cohort/gradebook.db --csv
  qilab progress --mark                   studying alone: mark what you submitted, then show it
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "progress",
        help="show which modules and levels a learner has completed",
        description=(
            "Show a learner's progress up the skills escalator from their marked assignments "
            "(the nbgrader gradebook, opened read-only). With the course's own gradebook, an "
            "assignment submitted to its exchange but not marked yet shows as 'submitted, "
            "awaiting marking'."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--learner", metavar="ID", help="nbgrader learner id (default: your user name)"
    )
    parser.add_argument(
        "--gradebook",
        metavar="PATH_OR_URL",
        help="SQLite file or database URL (default: the course's .qilab/gradebook.db)",
    )
    parser.add_argument("--csv", action="store_true", help="print one CSV row per module")
    parser.add_argument(
        "--mark",
        action="store_true",
        help="studying alone: mark your own submissions to this checkout's course first "
        "(collect, autograde in the sandbox, feedback; written answers stay for a tutor, so "
        "the mark is provisional). An assignment is marked again only if you submitted it "
        "since its last mark; the earlier submission is kept",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qilab.curriculum.progress import current_learner, progress
    from qilab.errors import QilabError

    if args.mark:
        me = current_learner()
        if args.gradebook or (args.learner and args.learner != me):
            raise QilabError(
                f"--mark marks your own work ({me}) in this checkout's course only: leave out "
                "--learner and --gradebook (a tutor marks a cohort with `qilab course`)."
            )
        from qilab.selfstudy import mark_own_work

        print(mark_own_work(me), end="\n\n", file=sys.stderr)
    result = progress(args.learner, gradebook=args.gradebook)
    if args.csv:
        print(result.to_frame().assign(learner=result.learner).to_csv(index=False), end="")
    else:
        print(result.text())
    return 0
