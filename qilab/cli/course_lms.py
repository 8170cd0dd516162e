"""``qilab course lms``: link a cohort to the academy's LMS with LTI 1.3 (keys, roster, grades).

Kept apart from :mod:`qilab.cli.course` so that command's module stays small; all logic lives
in :mod:`qilab.grading.lti`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

LMS_EPILOG = """\
the LMS link (grading/README.md, "LTI 1.3 with the academy's LMS"):
  qilab course lms keys -C cohort-2025        make the tool's key; paste its public half in the LMS
  qilab course lms roster -C cohort-2025      pull the LMS course's learners (NRPS), never deleting
  qilab course lms grades foundation_measurement -C cohort-2025   post final marks (AGS)
"""


def register_lms(sub: argparse._SubParsersAction, course_option: object) -> None:
    """Add ``lms`` and its actions under ``qilab course``."""
    lms = sub.add_parser(
        "lms",
        help="LTI 1.3 with the LMS: tool key, roster (NRPS), final marks (AGS)",
        description="Link the course to the academy's LMS (LTI 1.3 Advantage); the LMS's "
        "settings are in lti.yaml in the course folder.",
        epilog=LMS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = lms.add_subparsers(title="LMS actions", metavar="LMS_ACTION", dest="lms_action")
    keys = actions.add_parser("keys", help="make the tool's RSA key; print its public key")
    roster = actions.add_parser("roster", help="pull the LMS course's learners into the gradebook")
    grades = actions.add_parser("grades", help="post final marks to the LMS's gradebook")
    grades.add_argument("assignments", nargs="+", help="assignment ids")
    grades.add_argument(
        "--all", action="store_true", help="post every final mark again, not only changed ones"
    )
    grades.add_argument(
        "--manifest", metavar="YAML", help="escalator manifest (default: curriculum/escalator.yaml)"
    )
    for parser in (keys, roster, grades):
        course_option(parser)  # type: ignore[operator]
    lms.set_defaults(lms_action=None, _lms_parser=lms)


def run_lms(course: object, args: argparse.Namespace) -> int:
    """Run ``qilab course lms ACTION``; LtiError becomes the CLI's one-line message."""
    from qilab.grading.course import Course

    assert isinstance(course, Course)
    if args.lms_action is None:
        args._lms_parser.print_help()
        return 2
    if args.lms_action == "keys":
        return _keys(course)
    from qilab.grading.lti import load_config

    config = load_config(course.root)
    if args.lms_action == "roster":
        from qilab.grading.lti.nrps import sync_roster

        result = sync_roster(course, config)
        print(result)
        return 1 if result.loaded.problems else 0
    from qilab.grading.lti.ags import post_grades

    results = post_grades(
        course, config, args.assignments, everything=args.all, manifest=args.manifest
    )
    for result in results:
        print(result)
    return 1 if any(r.unlinked or r.rejected for r in results) else 0


def _keys(course: object) -> int:
    from qilab.grading.lti.config import CONFIG_NAME, LtiError, load_config
    from qilab.grading.lti.keys import make_tool_key

    root: Path = course.root  # type: ignore[attr-defined]
    try:
        config = load_config(root)
        path, kid = config.tool_private_key, config.tool_key_id
    except LtiError:
        config, path, kid = None, None, "qilab-1"
    path = path or root / "lti" / "tool-private.pem"
    public_pem, jwk = make_tool_key(path, kid)
    print(f"The tool's private key: {path} (keep it secret; back it up with the course)")
    if config is None:
        print(f"Name it in {root / CONFIG_NAME}: tool_private_key: {path.relative_to(root)}")
    print("\nPublic key for the LMS (Moodle: 'Public key type: RSA key'):\n" + public_pem)
    print("Public JWK (Canvas developer key: 'Public JWK'):\n" + jwk)
    return 0
