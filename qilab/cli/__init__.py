"""The ``qilab`` command: a thin face over the library.

Each sub-command lives in its own module with two functions::

    def register(subparsers) -> None   # add the sub-parser, set_defaults(func=run)
    def run(args) -> int               # do the work by calling the library; return an exit code

and is listed in :data:`SUBCOMMANDS`. Sub-commands hold no logic of their own: they parse, call
``qilab.*`` and report. A :class:`~qilab.errors.QilabError` becomes one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from qilab import __version__
from qilab.errors import QilabError

#: Sub-command modules, in the order ``qilab --help`` lists them.
SUBCOMMANDS: list[str] = ["lab", "cases", "course", "hub", "check", "progress", "datasets"]

DESCRIPTION = """\
QI Lab: learn and practise quality improvement in Jupyter.

Start with `qilab lab` to open the course in JupyterLab.
"""

EPILOG = """\
examples:
  qilab lab                          open the course (curriculum/START.ipynb) in JupyterLab
  qilab lab foundation/measurement   open one lesson (a path inside curriculum/)
  qilab lab --port 0 --no-browser    any free port, print the address instead of opening a browser
  qilab cases                        case studies as web apps (Voila), no code shown
  qilab progress                     which modules and levels you have completed
  qilab course --help                tutors: release, collect, autograde, feedback, reports
  qilab hub --help                   a cohort on JupyterHub, each learner in their own sandbox
  qilab check curriculum             academies: validate the curriculum after editing it
  qilab datasets list                the synthetic data sets for lessons and exercises

Run `qilab COMMAND --help` for the options of each command.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qilab",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qilab {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"qilab.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    # Everything after a bare "--" is passed on untouched (`qilab lab -- --ServerApp.x=y`);
    # split it off first, so argparse never mistakes it for a lesson name.
    passthrough: list[str] = []
    if "--" in words:
        cut = words.index("--")
        words, passthrough = words[:cut], words[cut + 1 :]
    args = parser.parse_args(words)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    if passthrough and not getattr(args, "passes_through", False):
        parser.error(f"nothing may follow '--' here (got {' '.join(passthrough)})")
    args.passthrough = passthrough
    try:
        return int(args.func(args) or 0)
    except QilabError as exc:
        print(f"qilab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qilab: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `qilab datasets list | head`: the reader has gone; stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
