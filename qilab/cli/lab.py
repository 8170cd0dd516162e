"""``qilab lab``: serve the course in JupyterLab."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qilab.lab import lab_launch, serve

HELP = "open the course in JupyterLab (start page, lessons, nbgrader tools, offline charts)"

DESCRIPTION = """\
Serve the QI Lab course in JupyterLab on this computer.

Lessons come from curriculum/, the nbgrader course from assignments/, and the gradebook
(SQLite) and assignment exchange live in .qilab/: nothing to configure, nothing fetched
from the internet. On its first start (learner view) the course's assignments are released
into that exchange, so the Assignment List (Nbgrader menu) offers them; what you fetch and
submit lives in my-work/ (git-ignored). Stop the server with Ctrl-C.
"""

EPILOG = """\
examples:
  qilab lab                           the start page: the escalator and every module
  qilab lab foundation/measurement    one lesson (a path inside curriculum/)
  qilab lab --port 0 --no-browser     any free port; print the address (with its token)
  qilab lab --tutor                   also nbgrader's tutor tools (Formgrader, Create Assignment)
  qilab lab -- --ServerApp.token=...  anything after -- goes to Jupyter unchanged

Outside JupyterLab, run qilab from the set-up's environment: `.venv/bin/qilab ...`
(Windows: `.venv\\Scripts\\qilab ...`), or activate it first (`source .venv/bin/activate`).
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "lab",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "lesson",
        nargs="?",
        metavar="LESSON",
        help="a lesson notebook inside curriculum/ (default: START.ipynb)",
    )
    parser.add_argument(
        "--port", type=int, default=8888, help="port to serve on; 0 picks a free one (default 8888)"
    )
    parser.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only)",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open a web browser; print the address"
    )
    parser.add_argument(
        "--tutor",
        action="store_true",
        help="show nbgrader's tutor tools too (Formgrader, Courses, Create Assignment); "
        "learners see only the Assignment List and Validate",
    )
    parser.set_defaults(func=run, passes_through=True)


def run(args: argparse.Namespace) -> int:
    launch = lab_launch(
        args.lesson,
        port=args.port,
        ip=args.ip,
        open_browser=not args.no_browser,
        extra_args=args.passthrough,
        tutor=args.tutor,
    )
    if not args.tutor:
        # A doctor studying alone has no tutor to release the assignments: do it once, here.
        from qilab.selfstudy import release_on_first_start

        note = release_on_first_start(Path(launch.env["QILAB_ROOT"])).message()
        if note:
            print(note, file=sys.stderr)
    who = "tutor tools on" if args.tutor else "learner view; --tutor for the tutor tools"
    print(
        f"QI Lab: serving the course ({who}). Open this address (Ctrl-C to stop):\n"
        f"    {launch.url}",
        file=sys.stderr,
    )
    serve(launch)
    return 0
