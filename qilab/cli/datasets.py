"""``qilab datasets``: list, describe and rebuild the synthetic teaching data sets.

A thin face over :mod:`qilab.datasets`; all logic lives in the library.
"""

from __future__ import annotations

import argparse

from qilab.levels import LEVELS, THEMES

EPILOG = """\
examples:
  qilab datasets list                         every data set, by curriculum level
  qilab datasets describe ward_falls          columns, definitions and provenance
  qilab datasets describe ward_falls --tutor-notes
  qilab datasets regenerate --check           do the CSVs match their seeded generators?
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "datasets",
        help="list, describe and rebuild the synthetic teaching data sets",
        description="Synthetic, documented health-care data sets (never real patient data).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION", dest="action")
    listing = sub.add_parser("list", help="list the data sets")
    listing.add_argument("--level", choices=LEVELS, help="only this level of the escalator")
    listing.add_argument("--theme", choices=THEMES, help="only this curriculum theme")
    show = sub.add_parser("describe", help="show a data set's dictionary")
    show.add_argument("name", help="data set name, as listed by `qilab datasets list`")
    show.add_argument(
        "--tutor-notes", action="store_true", help="also show what a learner should find"
    )
    rebuild = sub.add_parser("regenerate", help="rebuild the CSVs from their seeded generators")
    rebuild.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary folder and compare bytes; change nothing",
    )
    rebuild.add_argument("names", nargs="*", help="data sets to rebuild (default: all)")
    parser.set_defaults(func=run, action=None, _parser=parser)


def run(args: argparse.Namespace) -> int:
    from qilab import datasets  # pandas and jsonschema: not for every `qilab --help`

    if args.action == "list":
        table = datasets.list(level=args.level, theme=args.theme)
        width = max((len(n) for n in table["name"]), default=4)
        for row in table.itertuples(index=False):
            print(f"{row.name:<{width}}  {row.level:<12}  {row.title}")
        return 0
    if args.action == "describe":
        print(datasets.describe(args.name, tutor_notes=args.tutor_notes))
        return 0
    if args.action == "regenerate":
        report = datasets.regenerate(args.names or None, check=args.check)
        print(report)
        return 0 if report.ok else 1
    args._parser.print_help()
    return 2
