"""``qilab cases``: serve the case studies with Voila, or build them as static pages."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from qilab.errors import QilabError

TOKEN_ENV = "QILAB_CASES_TOKEN"
HELP = "case studies of improvement work: a Voila gallery, or static pages (`cases build`)"

DESCRIPTION = """\
Serve the QI Lab case studies (curriculum/cases/) as apps with standalone Voila: a gallery
page, then each case with its charts and controls and no code. Nothing is fetched from the
internet, visitors cannot run code, and kernels are preheated so a case opens quickly
(server settings: the `server:` block of curriculum/cases/cases.yaml). Stop with Ctrl-C.

Each visitor's page gets its own kernel (about 170 MB), shut down a few seconds after the page
closes. At most --max-kernels kernels run at once (default: sized from this computer's memory);
beyond that a visitor sees "busy, try again in a minute", never a half-drawn page.

Serving beyond this computer (--ip 0.0.0.0): anyone who can reach the address can open the
cases and start kernels on this computer (within the cap). Visitors cannot run code or read
files, but use this only on a network you trust (an NHS trust's network for a board meeting),
give visitors the address by the name they will type (--allow-host NAME: any other name is
refused, which defeats DNS rebinding), and require an access token (--token, or the
QILAB_CASES_TOKEN environment variable): visitors open the address once with ?token=TOKEN.
Traffic is plain HTTP, not encrypted.

`qilab cases build` writes every case as a static HTML page, with a gallery, for academies
that cannot run a server.
"""

EPILOG = """\
examples:
  qilab cases                          the gallery of case studies, in your browser
  qilab cases pincer-prescribing-safety   open one case directly
  qilab cases --list                   the cases, with level, theme and module
  qilab cases --port 0 --no-browser    any free port; print the address instead
  qilab cases --pool-size 2            keep two preheated kernels per case
  qilab cases --ip 0.0.0.0 --allow-host boardroom.trust.nhs.uk --token "$(openssl rand -hex 16)"
                                       a board meeting over the trust network
  qilab cases batching-blood-tests --audience 12
                                       present one case to 12 people opening it together
  qilab cases build --out site/        static pages in site/ (index.html is the gallery)
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "cases",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "case",
        nargs="?",
        metavar="CASE | build",
        help="a case to open (its slug; see --list), or `build` to write static pages",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--port", type=int, default=8866, help="port to serve on; 0 picks a free one (default 8866)"
    )
    parser.add_argument(
        "--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer)"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open a web browser; print the address"
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        metavar="N",
        help="preheated kernels per case (default: server.pool_size in cases.yaml; 0 = off)",
    )
    parser.add_argument(
        "--audience",
        type=int,
        metavar="N",
        help="presenting CASE to a room of N people: keep N kernels preheated for it, so "
        "everyone who opens it together gets a ready page (about 0.2 GB each)",
    )
    parser.add_argument(
        "--max-kernels",
        type=int,
        metavar="N",
        help="live kernels allowed at once, preheated ones included (default: server.max_kernels"
        " in cases.yaml; 0 = sized from this computer's memory)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name (or address) visitors may type, besides localhost; repeat for more",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"visitors need this access token (default: ${TOKEN_ENV}, else none)",
    )
    parser.add_argument(
        "--folder",
        type=Path,
        metavar="DIR",
        help="serve or build the cases in DIR (with its cases.yaml) instead of curriculum/cases",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="with `build`: output folder (default .qilab/cases-site)",
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="with `build`: notebooks run at once (default: cores)"
    )
    parser.set_defaults(func=run)


def _list(folder: Path | None) -> int:
    from qilab.cases import load_cases

    for case in load_cases(folder):
        print(f"{case.slug:<38}{case.level_label:<23}{case.module:<24}{case.title}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from qilab.cases import build_site

    if args.jobs is not None and args.jobs < 1:
        raise QilabError(f"--jobs {args.jobs} must be 1 or more.")
    report = build_site(
        args.out,
        folder=args.folder,
        jobs=args.jobs,
        progress=lambda line: print(f"QI Lab: {line}", file=sys.stderr),
    )
    print(f"QI Lab: wrote {len(report.pages)} case pages; open {report.index}", file=sys.stderr)
    print(report.index)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list(args.folder)
    if args.case == "build":
        return _build(args)
    if args.out is not None or args.jobs is not None:
        raise QilabError("--out and --jobs belong to `qilab cases build`: add `build`.")
    from qilab.cases import cases_launch, serve
    from qilab.cases.server import ALL_INTERFACES

    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV, "")
    launch = cases_launch(
        args.case,
        folder=args.folder,
        port=args.port,
        ip=args.ip,
        open_browser=not args.no_browser,
        pool_size=args.pool_size,
        max_kernels=args.max_kernels,
        hosts=args.allow_host,
        token=token,
        audience=args.audience,
    )
    if args.audience:
        print(
            f"QI Lab: preheating {args.audience} kernels for {args.case}, about 1 s each; "
            "a visitor who comes before they are ready gets a new one.",
            file=sys.stderr,
        )
    if args.ip in ALL_INTERFACES:
        print(
            f"QI Lab: WARNING: --ip {args.ip} serves the case studies to every computer that can"
            " reach this one, over plain HTTP. Use it only on a trusted network, add"
            " --allow-host NAME for the name visitors type, and"
            + (" give visitors the token." if token else f" set --token (or ${TOKEN_ENV})."),
            file=sys.stderr,
        )
    print(f"QI Lab: serving the case studies at {launch.url} (Ctrl-C to stop)", file=sys.stderr)
    serve(launch)
    return 0


if __name__ == "__main__":  # pragma: no cover - `python -m qilab.cli.cases …` = `qilab cases …`
    from qilab import cli

    if "cases" not in cli.SUBCOMMANDS:
        cli.SUBCOMMANDS.append("cases")
    sys.exit(cli.main(["cases", *sys.argv[1:]]))
