"""``qilab lab``: serve the course in JupyterLab."""

from __future__ import annotations

import argparse
import sys

from qilab.lab import lab_launch, serve

HELP = "open the course in JupyterLab (start page, lessons, nbgrader tools, offline charts)"

DESCRIPTION = """\
Serve the QI Lab course in JupyterLab on this computer.

Lessons come from curriculum/, the nbgrader course from assignments/, and the gradebook
(SQLite) and assignment exchange live in .qilab/: nothing to configure, nothing fetched
from the internet. Stop the server with Ctrl-C.
"""

EPILOG = """\
examples:
  qilab lab                           the start page: the escalator and every module
  qilab lab measurement/run-charts    one lesson (a path inside curriculum/)
  qilab lab --port 0 --no-browser     any free port; print the address instead
  qilab lab -- --ServerApp.token=...  anything after -- goes to Jupyter unchanged
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
    parser.add_argument("jupyter_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    extra = [a for a in args.jupyter_args if a != "--"]
    launch = lab_launch(
        args.lesson, port=args.port, ip=args.ip, open_browser=not args.no_browser, extra_args=extra
    )
    print(f"QI Lab: serving the course at {launch.url} (Ctrl-C to stop)", file=sys.stderr)
    serve(launch)
    return 0
