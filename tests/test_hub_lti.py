"""LTI 1.3 launches from the academy's LMS into the real JupyterHub (``qilab hub``).

The LMS is tests/lti_platform.py on localhost (its own key set; the OIDC login initiation and
authorization endpoint as Moodle and Canvas run them); the hub is the real JupyterHub with its
proxy, over a synthetic course whose roster came from the LMS by the real NRPS pull
(``qilab course lms roster``'s code). A learner clicks the course's QI Lab link and arrives in
her own JupyterLab as the learner id the gradebook knows; an instructor arrives as a tutor with
the tutor tools. Launches that must fail (bad signature, expired, unknown deployment, replayed,
not on the roster) are driven over plain HTTP through the same OIDC steps: each gets one page
for the person, one log line in the hub's log, no log-in cookie and no server.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests
from hub_helpers import (
    ASSIGNMENT,
    REQUESTS,
    Hub,
    api,
    course_action,
    make_course,
    outside_requests,
    run_in_kernel,
    running_hub,
    wait_for_lab,
)
from lti_platform import INSTRUCTOR, LTI, Platform, link_course, member, new_key
from postgres_server import new_database
from qilab.grading.course import Course
from qilab.grading.lti import load_config
from qilab.grading.lti.keys import make_tool_key
from qilab.grading.lti.nrps import read_users, sync_roster

from qilab.ports import free_port

pytestmark = [pytest.mark.slow]

ALICE, BOB, CAROL, DAN, TEACHER = (
    "101",
    "102",
    "103",
    "104",
    "901",
)  # LMS user ids (Moodle's are numbers)
LOGIN_COOKIE = "jupyterhub-hub-login"
SHOTS = Path(__file__).resolve().parent.parent / ".qilab" / "test-artifacts"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@pytest.fixture(scope="module")
def lms_hub(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: str
) -> Iterator[tuple[Hub, Platform]]:
    """The LMS, the course linked to it with its roster pulled over NRPS, and the hub.

    The course's gradebook is PostgreSQL, as an academy's is (tests/test_hub_browser.py runs
    the hub on the small cohort's SQLite): the hub reads the roster from it at each launch, the
    tutor's commands and Formgrader mark into it, and the marks go back to the LMS from it."""
    tmp = tmp_path_factory.mktemp("hub-lti")
    # roster alice, bob (from a CSV, as a cohort often starts)
    course = make_course(tmp, db_url=new_database(postgres_server))
    platform = Platform(
        members=[
            member(ALICE, "Dr Alice Example", "alice@nhs.example"),
            member(BOB, "Dr Bob Example", "bob@nhs.example"),
            member(TEACHER, "Dr Tess Jones", "t.jones@nhs.example", role=INSTRUCTOR),
        ],
        host="localhost",  # another site than the hub, as the academy's LMS is
    ).start()
    try:
        config = link_course(course.root, platform)
        sync_roster(course, config)  # matches the LMS's members to alice and bob by email
        assert read_users(course.root) == {ALICE: "alice", BOB: "bob"}
        port = free_port()
        platform.register_tool(f"http://127.0.0.1:{port}")
        with running_hub(tmp, course, tmp / "state", port=port) as hub:
            yield hub, platform
    finally:
        platform.stop()


def launch_form(session: requests.Session, platform: Platform, user: str) -> tuple[str, dict]:
    """Click the course's QI Lab link in the LMS: the login initiation at the hub, the LMS's
    authorization endpoint; returns the auto-posting form's address and fields."""
    page = session.get(platform.course_link(user), timeout=30)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    assert any("/hub/lti13/oauth_login" in r.url for r in page.history), page.history
    action = unescape(re.search(r'<form[^>]* action="([^"]+)"', page.text).group(1))
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
    }
    return action, fields


def refusal_lines(hub: Hub, reason: str, who: str = "") -> list[str]:
    """The hub's log lines refusing a launch for ``reason`` (and naming ``who``)."""
    deadline = time.monotonic() + 5
    while True:  # the hub writes its log as it goes
        lines = [
            line
            for line in hub.output().splitlines()
            if f"LTI launch refused: {reason}" in line and who in line
        ]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def page_text(answer: requests.Response) -> str:
    """What the person reads on a hub page (its text, without scripts)."""
    body = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", answer.text)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def assert_refused(
    hub: Hub,
    session: requests.Session,
    answer: Any,
    reason: str,
    says: str,
    title: str,
    who: str = "",
) -> None:
    """One page for the person, one log line naming the reason, no log-in, no server."""
    assert answer.status_code == 403, (answer.status_code, answer.text[:500])
    text = page_text(answer)
    assert f"403 : {title}" in text and says in text, text
    assert "None" not in text
    assert "Traceback" not in answer.text
    assert LOGIN_COOKIE not in session.cookies
    assert len(refusal_lines(hub, reason, who)) == 1, refusal_lines(hub, reason, who)


def has_server(hub: Hub, name: str) -> bool:
    """Whether the hub started (or is starting) a server for ``name``."""
    with sqlite3.connect(hub.state / "jupyterhub.sqlite") as db:
        rows = db.execute(
            "SELECT spawners.server_id FROM spawners JOIN users ON spawners.user_id = users.id "
            "WHERE users.name = ?",
            (name,),
        ).fetchall()
    return any(server is not None for (server,) in rows) or (hub.state / "users" / name).exists()


@pytest.mark.browser
def test_a_learner_and_an_instructor_launch_from_the_lms(lms_hub, browser) -> None:
    hub, platform = lms_hub
    # Alice clicks QI Lab on her LMS course page: she arrives in her own JupyterLab, as "alice",
    # the learner id her submissions and marks carry in the gradebook.
    learner = browser.new_context(viewport={"width": 1400, "height": 900})
    alice = learner.new_page()
    alice.on("request", lambda request: REQUESTS.append(request.url))
    alice.goto(platform.course_link(ALICE))
    # The instructor clicks the same link meanwhile (their servers start side by side).
    staff = browser.new_context(viewport={"width": 1400, "height": 900})
    tess = staff.new_page()
    tess.on("request", lambda request: REQUESTS.append(request.url))
    tess.goto(platform.course_link(TEACHER))
    wait_for_lab(alice, "alice")
    alice.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    assert "START.ipynb" in alice.locator(".jp-mod-current").first.inner_text()
    assert (hub.state / "users" / "alice" / "curriculum" / "START.ipynb").is_file()
    status, listing = api(alice, "alice", "GET", "api/contents/curriculum")
    assert status == 200 and any(i["name"] == "START.ipynb" for i in listing["content"])
    status, _ = api(alice, "alice", "GET", "formgrader")
    assert status == 404  # no tutor tools for a learner
    # The id_token the LMS posted carried the nonce the hub sent it (else the hub refuses).
    assert len(platform.launches) == 2

    # The instructor is a tutor, with the Formgrader, in the course folder.
    wait_for_lab(tess, TEACHER)
    status, _ = api(tess, TEACHER, "GET", "formgrader")
    assert status == 200
    status, listing = api(tess, TEACHER, "GET", "api/contents/source")
    assert status == 200, listing  # the course's sources: only tutors see them
    with sqlite3.connect(hub.state / "jupyterhub.sqlite") as db:
        tutors = {
            row[0]
            for row in db.execute(
                "SELECT users.name FROM users JOIN user_group_map ON users.id = "
                "user_group_map.user_id JOIN groups ON groups.id = user_group_map.group_id "
                "WHERE groups.name = 'tutors'"
            )
        }
    assert TEACHER in tutors and "alice" not in tutors
    alice.screenshot(path=str(SHOTS / "hub-lti-alice-lab.png"))

    # Someone the roster does not have (Dan joined the LMS course after the last pull) sees
    # one page saying what to ask for, in place of a lab or a server error.
    platform.members.append(member(DAN, "Dr Dan Example", "dan@nhs.example"))
    newcomer = browser.new_context(viewport={"width": 1400, "height": 900})
    dan = newcomer.new_page()
    dan.on("request", lambda request: REQUESTS.append(request.url))
    dan.goto(platform.course_link(DAN))
    dan.wait_for_url(f"{hub.base}/hub/lti13/oauth_callback", timeout=60_000)
    text = " ".join(dan.inner_text("body").split())
    assert "Not on the roster yet" in text, text
    assert "Ask your tutor to bring the roster over from the LMS (`qilab course lms roster`)" in (
        text
    ), text
    assert str(hub.course.root) not in text  # the server's folders are for the log, not visitors
    dan.screenshot(path=str(SHOTS / "hub-lti-not-on-roster.png"))
    learner.close()
    staff.close()
    newcomer.close()
    assert outside_requests() == []


@pytest.mark.parametrize(
    ("reason", "launch", "says"),
    [
        ("bad signature", {"signing_key": new_key()}, "was not signed by your LMS"),
        ("expired token", {"expires_in": -120}, "This launch has expired"),
        ("unknown deployment", {"deployment_id": "dep-9"}, "deployment this hub is not"),
    ],
)
def test_a_forged_expired_or_foreign_launch_is_refused(lms_hub, reason, launch, says) -> None:
    hub, platform = lms_hub
    session = requests.Session()
    platform.next_launch = launch
    action, fields = launch_form(session, platform, BOB)
    answer = session.post(action, data=fields, allow_redirects=False, timeout=60)
    assert_refused(hub, session, answer, reason, says, "Launch refused")
    assert not has_server(hub, "bob")


def test_a_replayed_launch_is_refused(lms_hub) -> None:
    hub, platform = lms_hub
    bob = requests.Session()
    action, fields = launch_form(bob, platform, BOB)
    first = bob.post(action, data=fields, allow_redirects=False, timeout=60)
    assert first.status_code == 302 and LOGIN_COOKIE in bob.cookies, first.text[:500]
    # Someone who captured Bob's launch (its id_token and state) posts it again.
    thief = requests.Session()
    answer = thief.post(action, data=fields, allow_redirects=False, timeout=60)
    assert_refused(
        hub, thief, answer, "replayed nonce", "This launch was already used", "Launch refused"
    )
    assert not has_server(hub, "bob")  # Bob's own launch was not followed to his server here


def test_someone_not_on_the_roster_is_told_what_the_tutor_runs(lms_hub) -> None:
    hub, platform = lms_hub
    # Carol joined the LMS course after the tutor last brought the roster over.
    platform.members.append(member(CAROL, "Dr Carol Example", "carol@nhs.example"))
    session = requests.Session()
    action, fields = launch_form(session, platform, CAROL)
    answer = session.post(action, data=fields, allow_redirects=False, timeout=60)
    says = (
        "Ask your tutor to bring the roster over from the LMS (`qilab course lms roster`), then "
        "click the QI Lab link in the LMS again."
    )
    refused = ("not on the roster", says, "Not on the roster yet", f"LMS user '{CAROL}'")
    assert_refused(hub, session, answer, *refused)
    assert str(hub.course.root) not in page_text(answer)
    # the log line, for the tutor and IT, names the command in full
    command = f"qilab course lms roster -C {hub.course.root}"
    assert f"(run `{command}`)" in refusal_lines(hub, "not on the roster", CAROL)[0]
    assert not has_server(hub, CAROL)

    # The tutor runs the command the page names; Carol clicks the link again and is let in
    # (the hub reads the roster at each launch: no restart), as the learner id it gave her.
    # (`qilab course lms roster`'s own code, in this process: the command's CLI is tested in
    # tests/grading/test_lti_services.py.)
    sync_roster(Course.open(hub.course.root), load_config(hub.course.root))
    assert read_users(hub.course.root)[CAROL] == CAROL  # learner_id: user_id
    again = requests.Session()
    action, fields = launch_form(again, platform, CAROL)
    answer = again.post(action, data=fields, allow_redirects=False, timeout=60)
    assert answer.status_code == 302 and LOGIN_COOKIE in again.cookies, answer.text[:500]
    assert f"LMS user '{CAROL}' (carol@nhs.example) is learner '{CAROL}'" in hub.output()


def test_an_instructor_of_another_lms_course_is_not_a_tutor_here(lms_hub) -> None:
    """One registration (deployment) serves every course of a Moodle site: an instructor of
    another course launches with a valid token, but must not get this course's tutor tools."""
    hub, platform = lms_hub
    platform.members.append(member("902", "Dr Ola Other", "o.other@nhs.example", INSTRUCTOR))
    platform.next_launch = {
        NRPS_CLAIM: {
            "context_memberships_url": f"{platform.url}/nrps/course-10/memberships",
            "service_versions": ["2.0"],
        },
        LTI + "context": {"id": "course-10", "title": "Another course"},
    }
    session = requests.Session()
    action, fields = launch_form(session, platform, "902")
    answer = session.post(action, data=fields, allow_redirects=False, timeout=60)
    says = "not of the LMS course this QI Lab course is linked to"
    assert_refused(hub, session, answer, "instructor of another LMS course", says, "Launch refused")
    assert not has_server(hub, "902")


def test_an_instructor_whose_hub_name_is_a_learners_is_refused(lms_hub) -> None:
    """An instructor's hub name is their LMS user id: one that is a learner's id on the roster
    would take over that learner's folder and make them a tutor; it is refused instead."""
    hub, platform = lms_hub
    platform.members.append(
        member("alice", "Dr Alice Teacher", "a.teacher@nhs.example", INSTRUCTOR)
    )
    session = requests.Session()
    action, fields = launch_form(session, platform, "alice")
    answer = session.post(action, data=fields, allow_redirects=False, timeout=60)
    says = "a person is either a tutor or a learner here"
    assert_refused(hub, session, answer, "tutor is a learner", says, "Launch refused")
    with sqlite3.connect(hub.state / "jupyterhub.sqlite") as db:
        groups = db.execute(
            "SELECT groups.name FROM groups JOIN user_group_map ON groups.id = "
            "user_group_map.group_id JOIN users ON users.id = user_group_map.user_id "
            "WHERE users.name = 'alice'"
        ).fetchall()
    assert groups == []  # the learner alice is still no tutor


def test_the_hub_publishes_the_tools_public_key_for_the_lms(lms_hub) -> None:
    hub, platform = lms_hub
    # `qilab hub` told IT what to enter in the LMS: the addresses this test registered.
    said = hub.output()
    assert f"login initiation URL: {platform.tool_login_url}\n" in said
    assert f"redirect URI: {next(iter(platform.redirect_uris))}\n" in said
    assert f"target link URI: {platform.target_link_uri}\n" in said
    assert f"public keyset URL: {hub.base}/hub/lti13/jwks\n" in said
    answer = requests.get(f"{hub.base}/hub/lti13/jwks", timeout=30)
    assert answer.status_code == 200
    keys = answer.json()["keys"]
    _, jwk = make_tool_key(Path(hub.course.root) / "lti" / "tool-private.pem")
    expected = json.loads(jwk)
    assert [(k["kid"], k["n"], k["e"]) for k in keys] == [
        (expected["kid"], expected["n"], expected["e"])
    ]
    assert not any("d" in k or "p" in k for k in keys)  # never the private half

    # Before the tutor has made the key: a page that says so, naming no folder of the server
    # (the address is public); the hub's log gives IT the full command.
    key = Path(hub.course.root) / "lti" / "tool-private.pem"
    aside = key.with_suffix(".aside")
    key.rename(aside)
    try:
        answer = requests.get(f"{hub.base}/hub/lti13/jwks", timeout=30)
    finally:
        aside.rename(key)
    assert answer.status_code == 503
    text = page_text(answer)
    assert "qilab course lms keys" in text and str(hub.course.root) not in answer.text, text
    assert f"`qilab course lms keys -C {hub.course.root}`" in hub.output()


def test_behind_https_the_launch_cookies_survive_the_lms_cross_site_post(lms_hub) -> None:
    """Behind the academy's HTTPS proxy, the state and nonce cookies are SameSite=None; Secure
    (else Chrome withholds them from the LMS's post and the launch fails); on plain HTTP,
    where browsers refuse SameSite=None, they stay as the library sets them."""
    hub, platform = lms_hub
    login = f"{hub.base}/hub/lti13/oauth_login"
    params = {"iss": platform.url, "login_hint": BOB, "target_link_uri": f"{hub.base}/hub"}
    for proto, cross_site in (("https", True), ("http", False)):
        answer = requests.get(
            login, params=params, headers={"X-Forwarded-Proto": proto}, allow_redirects=False
        )
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith(platform.url + "/auth?")
        assert f"redirect_uri={proto}%3A%2F%2F" in answer.headers["Location"]
        cookies = [c for c in answer.raw.headers.getlist("Set-Cookie") if "lti13auth" in c]
        assert len(cookies) == 2, cookies
        for cookie in cookies:
            assert ("SameSite=None" in cookie and "Secure" in cookie) == cross_site, cookie
            assert "HttpOnly" in cookie


def test_an_lms_whose_key_set_cannot_be_fetched_gets_a_clear_page(lms_hub) -> None:
    """The LMS's key set cannot be fetched (here: IT moved key_set_url in lti.yaml and that
    address fails): a page saying try later (503, not a 500 and a traceback) and one line in
    the hub's log naming the address; nobody is logged in."""
    hub, platform = lms_hub
    lti_yaml = hub.course.root / "lti.yaml"
    settings = lti_yaml.read_text()
    moved = f"{platform.url}/keys/v2"
    try:
        lti_yaml.write_text(settings.replace(f"{platform.url}/jwks", moved))
        platform.fail["/keys/v2"] = 500
        session = requests.Session()
        action, fields = launch_form(session, platform, BOB)
        answer = session.post(action, data=fields, allow_redirects=False, timeout=60)
        assert answer.status_code == 503, answer.text[:500]
        text = page_text(answer)
        assert "503 : Launch not checked" in text and "Try again in a few minutes" in text, text
        assert LOGIN_COOKIE not in session.cookies
        lines = [ln for ln in hub.output().splitlines() if "LTI launch failed" in ln]
        assert len(lines) == 1 and f"cannot fetch the LMS's key set {moved}" in lines[0], lines
        assert "Uncaught exception POST /hub/lti13/oauth_callback" not in hub.output()
    finally:
        lti_yaml.write_text(settings)
        platform.fail.clear()


#: What Bob does in his own server (nbgrader's commands, as in a terminal there): fetch the
#: assignment, answer it, submit it.
FETCH_ANSWER_SUBMIT = """
import subprocess, nbformat
from qilab.grading import synthetic
def nbgrader(*words):
    done = subprocess.run(["nbgrader", *words], capture_output=True, text=True)
    print(words[0], done.returncode, done.stderr[-400:] if done.returncode else "")
nbgrader("fetch_assignment", {assignment!r})
path = "{assignment}/{assignment}.ipynb"
nbformat.write(synthetic.submission(nbformat.read(path, as_version=4), "solution"), path)
nbgrader("submit", {assignment!r})
"""


# Last in the module: Bob logs in here, and the refusal tests above launch as Bob and check
# that no server of his was started.
@pytest.mark.browser
def test_a_learner_from_the_lms_is_marked_and_her_final_mark_returns_to_it(
    lms_hub, browser
) -> None:
    """The whole round trip an academy runs: LMS launch, work on the hub, marking on Dask,
    the tutor's hand marking in the Formgrader, the final mark in the LMS's gradebook."""
    hub, platform = lms_hub
    assert hub.course.db_url.startswith("postgresql")  # the academy's gradebook, not a file
    assert not (hub.course.root / "gradebook.db").exists()
    scores_before = len(platform.scores)
    # Bob clicks QI Lab on his LMS course page and works in his own server.
    learner = browser.new_context(viewport={"width": 1400, "height": 900})
    bob = learner.new_page()
    bob.on("request", lambda request: REQUESTS.append(request.url))
    bob.goto(platform.course_link(BOB))
    wait_for_lab(bob, "bob")
    done = run_in_kernel(bob, "bob", FETCH_ANSWER_SUBMIT.format(assignment=ASSIGNMENT))
    assert "fetch_assignment 0" in done and "submit 0" in done, done
    # The instructor arrives from the LMS as the course's tutor; the tutor's commands collect
    # and mark (each submission a Dask task, in its sandbox).
    staff = browser.new_context(viewport={"width": 1400, "height": 900})
    tess = staff.new_page()
    tess.on("request", lambda request: REQUESTS.append(request.url))
    tess.goto(platform.course_link(TEACHER))
    wait_for_lab(tess, TEACHER)
    collected = course_action(hub, "collect", ASSIGNMENT)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    graded = course_action(hub, "autograde", ASSIGNMENT, "--no-progress")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    # Before the written answer is marked, Bob's mark is provisional: nothing goes to the LMS.
    held = course_action(hub, "lms", "grades", ASSIGNMENT)
    assert held.returncode == 0, held.stdout + held.stderr
    assert "NOT posted (provisional" in held.stdout and "bob" in held.stdout, held.stdout
    assert len(platform.scores) == scores_before
    # The tutor marks the reflection in the Formgrader of her hub server, as she would by hand.
    path = f"formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}"
    status, submissions = api(tess, TEACHER, "GET", path)
    assert status == 200, submissions
    [mine] = [s for s in submissions if s["student"] == "bob"]
    status, grades = api(tess, TEACHER, "GET", f"formgrader/api/grades?submission_id={mine['id']}")
    assert status == 200, grades
    [reflection] = [g for g in grades if g["name"] == "reflection"]
    assert reflection["needs_manual_grade"], reflection
    status, saved = api(
        tess, TEACHER, "PUT", f"formgrader/api/grade/{reflection['id']}", {"manual_score": 2}
    )
    assert status == 200 and saved["manual_score"] == 2, saved
    # Now final: the mark reaches the LMS, as Bob's LMS user, on the assignment's one column.
    posted = course_action(hub, "lms", "grades", ASSIGNMENT)
    assert posted.returncode == 0, posted.stdout + posted.stderr
    new = [score for _, score in platform.scores[scores_before:]]
    assert [(s["userId"], s["scoreGiven"], s["scoreMaximum"]) for s in new] == [(BOB, 7.0, 7.0)], (
        new
    )
    assert new[0]["gradingProgress"] == "FullyGraded", new
    assert [item["resourceId"] for item in platform.lineitems.values()] == [ASSIGNMENT]
    learner.close()
    staff.close()
    assert outside_requests() == []
