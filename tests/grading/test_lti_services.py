"""The LMS link's services against a real test platform on localhost: roster (NRPS), marks (AGS).

Learners come from the LMS exactly as from ``qilab course init --roster`` (added, updated,
never deleted); final marks go back to one line item per assignment, provisional marks never;
a broken or refusing LMS is one clear message and changes nothing in QI Lab.
"""

from __future__ import annotations

import json
import re

import pytest
from cryptography.hazmat.primitives import serialization
from lti_platform import INSTRUCTOR, Platform, link_course, member
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.lti import LtiError
from qilab.grading.lti.ags import post_grades
from qilab.grading.lti.launch import NonceStore, validate_launch
from qilab.grading.lti.nrps import sync_roster
from qilab.grading.lti.service import SCOPE_NRPS, LmsClient, next_page

import qilab.cli

pytestmark = pytest.mark.slow
A = synthetic.ASSIGNMENT

#: The LMS course: four learners, one tutor. d001 is already on the course's CSV roster.
MEMBERS = [
    member("u-101", "Aisha Khan", "d001@nhs.example"),  # = d001 by email
    member("u-102", "Ben Ó Briain", "ben@nhs.example"),
    member("u-900", "Tom Tutor", "tom@nhs.example", role=INSTRUCTOR),
    member("u-103", "Cara Lee", "cara@nhs.example"),
    member("u-104", "Dev Patel", "dev@nhs.example"),
]


@pytest.fixture
def platform():
    lms = Platform(page_size=2)
    lms.members = [dict(m) for m in MEMBERS]
    lms.start()
    yield lms
    lms.stop()


@pytest.fixture
def cli(monkeypatch):
    if "course" not in qilab.cli.SUBCOMMANDS:
        monkeypatch.setattr(qilab.cli, "SUBCOMMANDS", [*qilab.cli.SUBCOMMANDS, "course"])
    return qilab.cli.main


def gradebook(course) -> dict[str, tuple[str, str, str]]:
    return {x.id: (x.first_name, x.last_name, x.email) for x in course.learners()}


def test_nrps_pages_the_cohort_and_loads_it_as_init_does_never_deleting(make_course, platform):
    course = make_course(["d001", "d900"])  # d900: on the CSV roster, not in the LMS course
    config = link_course(course.root, platform)
    result = sync_roster(course, config)

    nrps = [path for method, path, _ in platform.log if "/nrps/" in path]
    assert nrps == ["/nrps/memberships", "/nrps/memberships?page=2", "/nrps/memberships?page=3"]
    assert result.pages == 3 and result.members == 5 and result.staff == 1
    assert gradebook(course) == {
        "d001": ("Aisha", "Khan", "d001@nhs.example"),  # matched by email, name from the LMS
        "d900": ("Dr D900", "Example", "d900@nhs.example"),  # kept: init never deletes
        "u-102": ("Ben Ó", "Briain", "ben@nhs.example"),
        "u-103": ("Cara", "Lee", "cara@nhs.example"),
        "u-104": ("Dev", "Patel", "dev@nhs.example"),
    }
    assert result.loaded.added == ["u-102", "u-103", "u-104"]
    assert result.loaded.updated == ["d001"] and result.loaded.not_in_roster == ["d900"]
    assert "tom" not in json.dumps(gradebook(course)).lower()  # the tutor is not a learner
    users = json.loads((course.root / "lti" / "users.json").read_text())
    assert users == {"u-101": "d001", "u-102": "u-102", "u-103": "u-103", "u-104": "u-104"}

    # again, with a changed surname and one learner gone from the LMS: updated, nobody deleted
    platform.members[3]["family_name"] = "Lee-Smith"
    del platform.members[4]
    again = sync_roster(course, config)
    assert again.loaded.added == [] and again.loaded.updated == ["u-103"]
    assert gradebook(course)["u-103"] == ("Cara", "Lee-Smith", "cara@nhs.example")
    assert set(gradebook(course)) == {"d001", "d900", "u-102", "u-103", "u-104"}
    assert "kept 2 learner(s) not in the LMS course (never deleted): d900, u-104" in str(again)


def test_members_qilab_cannot_use_are_named_and_the_rest_still_load(make_course, platform):
    course = make_course(["d001"])
    config = link_course(course.root, platform)
    text = (course.root / "lti.yaml").read_text()
    (course.root / "lti.yaml").write_text(text + "learner_id: email\n")
    platform.members = [
        member("u-1", "Ann Lee", "ann@nhs.example"),
        member("u-2", "Bad Id", "bad id@nhs"),  # an email nbgrader cannot use as an id
        member("u-3", "Sam Shared", "ANN@nhs.example"),  # Ann's email again
        member("u-4", "Old Member", "old@nhs.example", status="Inactive"),
        member("u-5", "Kim Ng", "kim@nhs.example", roles=["Learner"]),  # Canvas' short role
    ]
    from qilab.grading.lti import load_config

    result = sync_roster(course, load_config(course.root))
    assert result.loaded.added == ["ann@nhs.example", "kim@nhs.example"]
    problems = [str(p) for p in result.loaded.problems]
    assert len(problems) == 2
    assert "Bad Id: learner id 'bad id@nhs' has characters nbgrader cannot use" in problems[0]
    assert problems[1].startswith(
        "LMS member 3: Sam Shared would have the learner id 'ANN@nhs.example' of Ann Lee"
    )
    assert result.inactive == ["Old Member"] and "old@nhs.example" not in gradebook(course)
    assert "2 member(s) NOT loaded" in str(result)
    assert config.learner_id == "user_id"  # the default, before the edit above


def test_an_email_that_is_not_an_address_is_left_blank_and_named(make_course, platform):
    course = make_course(["d001"])
    config = link_course(course.root, platform)
    platform.members = [
        member("u-1", "Ann Lee", "ann@nhs.example"),
        member("u-2", "Kim Ng", "kim at nhs dot uk"),
    ]
    result = sync_roster(course, config)
    assert result.loaded.added == ["u-1", "u-2"]
    assert gradebook(course)["u-2"] == ("Kim", "Ng", "")
    assert result.unusable_emails == ["Kim Ng <kim at nhs dot uk>"]
    assert "1 learner(s) loaded without an email" in str(result)
    assert "Kim Ng <kim at nhs dot uk>" in str(result)


def test_link_headers_are_read_as_rfc_8288_says():
    import requests

    response = requests.Response()
    response.headers["Link"] = (
        '<https://lms.example/m?p=1>; rel="first", <https://lms.example/m?p=3>;rel="next"'
    )
    assert next_page(response) == "https://lms.example/m?p=3"
    response.headers["Link"] = '<https://lms.example/m?p=1>; rel="prev"'
    assert next_page(response) is None


def test_the_token_endpoint_checks_the_tools_signed_assertion(make_course, platform, tmp_path):
    course = make_course(["d001"])
    config = link_course(course.root, platform)
    client = LmsClient(config)
    token = client.token(["https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    assert (
        token in platform.tokens
        and client.token(["https://purl.imsglobal.org/spec/lti-ags/scope/score"]) == token
    )  # reused, not asked for again
    # the platform checks bearer tokens and scopes as an LMS does: a roster-only token cannot
    # read or write the gradebook, and a made-up token reaches nothing
    import requests

    nrps_only = client.token([SCOPE_NRPS])
    for bearer, status in ((nrps_only, 403), ("made-up", 401)):
        answer = requests.get(
            f"{platform.url}/lineitems", headers={"Authorization": f"Bearer {bearer}"}, timeout=10
        )
        assert answer.status_code == status
    assert requests.get(f"{platform.url}/nrps/memberships", timeout=10).status_code == 401
    # another tool's key is refused by the platform: one message naming the fix
    link_course(tmp_path / "impostor", platform)  # the platform now trusts a different key
    with pytest.raises(LtiError) as err:
        LmsClient(config).token(["https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    assert "HTTP 401" in str(err.value) and "public key" in str(err.value)
    # a scope the LMS administrator did not enable is named
    link_course(course.root, platform)
    platform.allowed_scopes.discard(SCOPE_NRPS)
    before = gradebook(course)
    with pytest.raises(LtiError, match="did not grant Names and Role Provisioning Services"):
        sync_roster(course, config)
    assert gradebook(course) == before


def mark_reflections(course, marks: dict[str, float]) -> None:
    """The tutor marks written answers in the Formgrader."""
    with course.gradebook() as gb:
        for learner, mark in marks.items():
            grade = gb.find_grade("reflection", A, A, learner)
            grade.manual_score = mark
            grade.needs_manual_grade = False
        gb.db.commit()


@pytest.fixture
def graded(make_course, place, platform):
    """d001, u-102, u-103 submit; the tutor marks d001 and u-103; u-102 is provisional."""
    course = make_course(["d001"])
    config = link_course(course.root, platform)
    sync_roster(course, config)
    for learner, kind in {"d001": "solution", "u-102": "solution", "u-103": "partial"}.items():
        place(course, learner, kind)
    result = autograde(course, A, workers=2, progress=False)
    assert {o.learner for o in result.outcomes} == {"d001", "u-102", "u-103"}, result
    mark_reflections(course, {"d001": 2.0, "u-103": 1.0})
    return course, config


def test_final_marks_reach_one_line_item_provisional_ones_never(graded, platform):
    course, config = graded
    [first] = post_grades(course, config, [A])
    assert first.created and len(platform.lineitems) == 1
    item = platform.lineitems[1]
    assert item["resourceId"] == A and item["scoreMaximum"] == 7.0 and item["tag"] == "qilab"
    posted = {score["userId"]: score for _, score in platform.scores}
    # by hand: d001 5 auto + 2 written = 7/7; u-103 3 auto (partial) + 1 written = 4/7
    assert {u: (s["scoreGiven"], s["scoreMaximum"]) for u, s in posted.items()} == {
        "u-101": (7.0, 7.0),
        "u-103": (4.0, 7.0),
    }
    assert all(s["gradingProgress"] == "FullyGraded" for s in posted.values())
    assert all(s["activityProgress"] == "Completed" for s in posted.values())
    assert "u-102" not in posted and first.provisional == ["u-102"]  # awaiting a tutor
    assert "NOT posted (provisional" in str(first) and "u-102" in str(first)

    # a re-run: the line item is found by its resourceId, nothing is posted again
    [second] = post_grades(course, config, [A])
    assert not second.created and second.lineitem == first.lineitem
    assert len(platform.lineitems) == 1 and len(platform.scores) == 2
    assert sorted(second.unchanged) == ["d001", "u-103"]

    # the tutor marks u-102: only that mark is posted, to the same column
    mark_reflections(course, {"u-102": 2.0})
    [third] = post_grades(course, config, [A])
    assert third.posted == ["u-102"] and len(platform.lineitems) == 1
    assert platform.scores[-1][1]["userId"] == "u-102"
    assert platform.scores[-1][1]["scoreGiven"] == 7.0

    # the ledger lost (a restored backup): the column is still found, not duplicated
    (course.root / "lti" / "scores.json").unlink()
    [fourth] = post_grades(course, config, [A], everything=True)
    assert not fourth.created and len(platform.lineitems) == 1 and len(fourth.posted) == 3

    # d001 leaves the LMS course, then the tutor re-marks them: the LMS refuses that one score,
    # the others still go, and the refusal is named (and tried again next time)
    platform.members = [m for m in platform.members if m["user_id"] != "u-101"]
    mark_reflections(course, {"d001": 1.0, "u-103": 2.0})
    [fifth] = post_grades(course, config, [A])
    assert fifth.posted == ["u-103"] and list(fifth.rejected) == ["d001"]
    assert "HTTP 400" in fifth.rejected["d001"] and "not in this course" in fifth.rejected["d001"]
    assert "the LMS refused d001's mark" in str(fifth)
    [sixth] = post_grades(course, config, [A])
    assert list(sixth.rejected) == ["d001"] and sixth.posted == []


@pytest.mark.parametrize(
    ("failing", "status", "words"),
    [
        ("/lineitems", 500, "HTTP 500 .*run the same command again later.*Nothing was changed"),
        ("/token", 401, "refused QI Lab's credentials.*client_id.*public key"),
        ("/lineitems", 401, "refused the gradebook columns.*HTTP 401.*enable Assignment and"),
    ],
)
def test_a_failing_lms_is_one_clear_message_and_changes_nothing(
    graded, platform, cli, capsys, failing, status, words
):
    course, _ = graded
    platform.fail[failing] = status
    before = (gradebook(course), sorted(p.name for p in (course.root / "lti").iterdir()))
    code = cli(["course", "lms", "grades", A, "-C", str(course.root)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert platform.scores == []
    assert re.search(words, err), err
    assert (gradebook(course), sorted(p.name for p in (course.root / "lti").iterdir())) == before
    assert not (course.root / "lti" / "scores.json").exists()


def test_an_nrps_failure_half_way_changes_nothing(make_course, platform, monkeypatch):
    course = make_course(["d001"])
    config = link_course(course.root, platform)
    before = gradebook(course)
    original = platform._nrps

    def second_page_fails(query, headers):
        if query.get("page") == ["2"]:
            return 500, {}, b"Internal error"
        return original(query, headers)

    monkeypatch.setattr(platform, "_nrps", second_page_fails)
    with pytest.raises(LtiError, match=r"HTTP 500 .*Nothing was changed"):
        sync_roster(course, config)
    assert gradebook(course) == before
    assert not (course.root / "lti" / "users.json").exists()


def test_round_trip_launch_roster_grades_through_the_cli(graded, platform, cli, capsys):
    """A learner arrives from the LMS, is on the roster, and their final mark goes back."""
    course, config = graded
    identity = validate_launch(
        platform.launch_token("u-103"),
        config,
        NonceStore.for_course(course.root),
        course_root=course.root,
    )
    assert identity.learner_id == "u-103" and identity.is_learner
    # a learner loaded from the CSV roster, never pulled from the LMS, is found by email
    platform.members.append(member("u-777", "Gail Roe", "d555@nhs.example"))
    from qilab.grading.course import InitReport, load_learners
    from qilab.grading.roster import Learner

    load_learners(
        course,
        [Learner("d555", "Gail", "Roe", "d555@nhs.example")],
        InitReport(root=course.root, created=False),
    )
    nonces = NonceStore.for_course(course.root)
    by_email = validate_launch(platform.launch_token("u-777"), config, nonces, course.root)
    assert by_email.learner_id == "d555"
    stranger = validate_launch(platform.launch_token("u-888"), config, nonces, course.root)
    assert stranger.learner_id is None  # not on the roster: the hub decides (no guess)
    platform.members.append(member("u-105", "Eve Ng", "eve@nhs.example"))
    assert cli(["course", "lms", "roster", "-C", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "learners: 1 added" in out and "u-105" in out
    assert cli(["course", "lms", "grades", A, "-C", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "line item created" in out and "final marks posted: 2" in out
    scores = {s["userId"]: s["scoreGiven"] for _, s in platform.scores}
    assert scores[identity.user_id] == 4.0  # the learner who launched: 4 of 7
    # the IT team's key command shows the public half of the key already in use
    assert cli(["course", "lms", "keys", "-C", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "BEGIN PUBLIC KEY" in out and '"kid": "qilab-1"' in out and "PRIVATE KEY" not in out
    assert (
        platform.tool_public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        in out
    )
