"""``qilab check curriculum``: is the course on disk consistent with its manifest?

A thin face over :func:`qilab.curriculum.check.check_course`: one line per problem, each with
its fix, then a summary; exit status 1 when there is any error (warnings alone exit 0).
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  qilab check curriculum                        check the manifest, lessons, links and notebooks
  QILAB_ROOT=~/my-academy qilab check curriculum   check an academy's own copy of the course
  qilab check curriculum --missing-assignments warning
                                                while assignments are still being written
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the curriculum: manifest, lessons, assignments, links, clean notebooks",
        description=(
            "Check that curriculum/escalator.yaml validates and that every lesson, assignment, "
            "case study and link it implies exists. Run it after editing or adding a module."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("what", choices=["curriculum"], help="what to check")
    parser.add_argument(
        "--missing-assignments",
        choices=["error", "warning"],
        default="error",
        help="how to report a module whose assignment does not exist yet (default: error)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qilab.curriculum.check import check_course
    from qilab.widgets import APPS

    report = check_course(known_simulations=APPS, missing_assignments=args.missing_assignments)
    for finding in report.findings:
        print(finding, file=sys.stderr if finding.severity == "error" else sys.stdout)
    print(report.summary())
    return 0 if report.ok else 1
