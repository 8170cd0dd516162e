"""The cohort from the LMS: Names and Role Provisioning Services (NRPS v2) → the gradebook.

The LMS pages its membership (``Link: <…>; rel="next"``); every page is read before anything
is written, so an LMS failing half-way changes nothing. Learners are then loaded by the very
code ``qilab course init --roster`` uses (:func:`qilab.grading.course.load_learners`): new
learners added, changed names or emails updated, nobody deleted — neither learners who left
the LMS course nor those who came from a roster CSV.

Which gradebook learner an LMS member is: the id QI Lab recorded for their LMS ``user_id``
before (``lti/users.json``), else the learner with the same email (so a cohort first loaded
from a CSV is matched, not duplicated), else a new learner whose id is the member's
``user_id``, ``email`` or ``lis_person_sourcedid`` (``learner_id`` in ``lti.yaml``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..course import Course, InitReport, load_learners
from ..roster import EMAIL, LEARNER_ID, Learner, RowProblem, split_name
from .config import LtiConfig, LtiError, state_path
from .service import SCOPE_NRPS, LmsClient, next_page

MEMBERSHIP = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
USERS_FILE = "users.json"
FIELDS = {"user_id": "user_id", "email": "email", "sourcedid": "lis_person_sourcedid"}


@dataclass(frozen=True)
class MemberProblem(RowProblem):
    """An LMS member not loaded; ``row`` is their place in the LMS's membership list."""

    def __str__(self) -> str:
        return f"LMS member {self.row}: {self.problem} — {self.fix}"


@dataclass
class RosterSync:
    """What one NRPS pull found and what it changed in the gradebook."""

    loaded: InitReport
    pages: int = 0
    members: int = 0
    staff: int = 0
    inactive: list[str] = field(default_factory=list)
    #: "Name <what the LMS sent>" for learners loaded with a blank email: not an address.
    unusable_emails: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"LMS roster: {self.members} member(s) on {self.pages} page(s); "
            f"{self.staff} tutor(s)/staff not loaded",
            f"  learners: {len(self.loaded.added)} added, {len(self.loaded.updated)} updated, "
            f"{len(self.loaded.unchanged)} unchanged",
        ]
        if self.loaded.added:
            lines.append(f"  added: {', '.join(self.loaded.added)}")
        if self.loaded.not_in_roster:
            lines.append(
                f"  kept {len(self.loaded.not_in_roster)} learner(s) not in the LMS course "
                f"(never deleted): {', '.join(self.loaded.not_in_roster)}"
            )
        if self.inactive:
            lines.append(f"  inactive in the LMS (kept as they are): {', '.join(self.inactive)}")
        if self.unusable_emails:
            lines.append(
                f"  {len(self.unusable_emails)} learner(s) loaded without an email, as the LMS "
                "sent one that is not an email address (correct it in the LMS, then pull "
                f"again): {', '.join(self.unusable_emails)}"
            )
        if self.loaded.problems:
            lines.append(f"  {len(self.loaded.problems)} member(s) NOT loaded:")
            lines += [f"    {problem}" for problem in self.loaded.problems]
        return "\n".join(lines)


def fetch_members(config: LtiConfig, client: LmsClient) -> tuple[list[dict[str, Any]], int]:
    """Every member of the LMS course, following ``rel="next"`` pages; (members, pages)."""
    url: str | None = config.context_memberships_url
    if not url:
        raise LtiError(
            f"{config.source} has no context_memberships_url: copy it from a launch's "
            "namesroleservice claim, or from the LMS tool's course settings."
        )
    members: list[dict[str, Any]] = []
    seen: set[str] = set()
    pages = 0
    while url:
        if url in seen:
            raise LtiError(f"the LMS's membership pages loop back to {url}: report it to the LMS.")
        seen.add(url)
        response = client.request(
            "GET", url, [SCOPE_NRPS], "the course membership (NRPS)", accept=MEMBERSHIP
        )
        try:
            body = response.json()
            page = body["members"]
        except (ValueError, KeyError, TypeError):
            raise LtiError(
                f"{url} is not an NRPS membership page: check context_memberships_url in "
                f"{config.source}."
            ) from None
        members += [m for m in page if isinstance(m, dict)]
        pages += 1
        url = next_page(response)
    return members, pages


def is_learner(member: dict[str, Any]) -> bool:
    roles = [str(r) for r in member.get("roles", [])]
    return any(r in (LEARNER_ROLE, "Learner") for r in roles)


def read_users(course_root: Path) -> dict[str, str]:
    """LMS user id → learner id, as recorded by earlier pulls."""
    path = Path(course_root) / "lti" / USERS_FILE
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def sync_roster(course: Course, config: LtiConfig, client: LmsClient | None = None) -> RosterSync:
    """Pull the LMS course's learners into the gradebook (see the module docstring)."""
    client = client or LmsClient(config)
    members, pages = fetch_members(config, client)  # all pages before any change
    users = read_users(course.root)
    by_email = {
        learner.email.casefold(): learner.id for learner in course.learners() if learner.email
    }
    learners: list[Learner] = []
    problems: list[RowProblem] = []
    taken: dict[str, str] = {}
    mapped: dict[str, str] = {}
    result = RosterSync(loaded=InitReport(root=course.root, created=False), pages=pages)
    result.members = len(members)
    for number, member in enumerate(members, start=1):
        user_id = str(member.get("user_id") or "")
        label = member.get("name") or member.get("email") or user_id or f"member {number}"
        if not is_learner(member):
            result.staff += 1
            continue
        if str(member.get("status", "Active")) != "Active":
            result.inactive.append(users.get(user_id, str(label)))
            continue
        email = str(member.get("email") or "").strip()
        if email and not EMAIL.match(email):
            result.unusable_emails.append(f"{label} <{email}>")
            email = ""
        learner_id = (
            users.get(user_id)
            or by_email.get(email.casefold() if email else "\0")
            or str(member.get(FIELDS[config.learner_id]) or "").strip()
        )
        problem = _check(number, label, user_id, learner_id, taken, config)
        if problem:
            problems.append(problem)
            continue
        taken[learner_id.lower()] = str(label)
        given, family = member.get("given_name"), member.get("family_name")
        first, last = (
            (str(given or ""), str(family or ""))
            if given or family
            else split_name(str(member.get("name") or ""))
        )
        learners.append(Learner(learner_id, first.strip(), last.strip(), email))
        mapped[user_id] = learner_id
    result.loaded.problems = problems
    load_learners(course, learners, result.loaded)  # exactly as `qilab course init --roster`
    path = state_path(course.root, USERS_FILE)
    path.write_text(json.dumps({**users, **mapped}, indent=2, sort_keys=True), encoding="utf-8")
    return result


def _check(
    number: int,
    label: str,
    user_id: str,
    learner_id: str,
    taken: dict[str, str],
    config: LtiConfig,
) -> MemberProblem | None:
    if not user_id:
        return MemberProblem(number, f"{label} has no LMS user_id", "report it to the LMS admin")
    if not learner_id:
        return MemberProblem(
            number,
            f"{label} has no {FIELDS[config.learner_id]} to use as learner id",
            f"set learner_id in {config.source} to a field the LMS sends (user_id)",
        )
    if not LEARNER_ID.match(learner_id):
        return MemberProblem(
            number,
            f"{label}: learner id {learner_id!r} has characters nbgrader cannot use",
            f"set learner_id in {config.source} to user_id or email",
        )
    if learner_id.lower() in taken:
        return MemberProblem(
            number,
            f"{label} would have the learner id {learner_id!r} of {taken[learner_id.lower()]}",
            "give each LMS member their own email, or use learner_id: user_id",
        )
    return None
