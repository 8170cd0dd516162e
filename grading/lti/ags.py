"""Final marks to the LMS: Assignment and Grade Services (AGS v2).

Each assignment has one line item (a gradebook column) in the LMS, made by QI Lab the first
time and found again by its ``resourceId`` (the assignment id) on every later run — never a
second column. Each learner's **final** mark (no written answer waiting for a tutor; the same
rule as the grade files in :mod:`..gradefiles`) is posted as a score with
``activityProgress: Completed`` and ``gradingProgress: FullyGraded``. Provisional marks are
not sent: a mark in the LMS is one a learner and their supervisor act on.

What was posted is remembered in ``lti/scores.json``; a re-run posts only marks that changed
(``--all`` posts every final mark again, which the LMS treats as the same score).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from qilab.escalator.gradebook import table_rows

from ..cohort import FINAL, PROVISIONAL, cohort_data
from ..course import Course
from ..gradefiles import feedback_comment
from .config import LtiConfig, LtiError, state_path
from .nrps import read_users
from .service import SCOPE_LINEITEM, SCOPE_SCORE, LmsClient, LmsHttpError, next_page

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
SCOPES = [SCOPE_LINEITEM, SCOPE_SCORE]
TAG = "qilab"
LEDGER = "scores.json"


@dataclass
class GradeReturn:
    """One assignment's grade return: the line item, and who was posted, skipped or held."""

    assignment: str
    lineitem: str = ""
    created: bool = False
    posted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # learner -> the LMS's reason

    def __str__(self) -> str:
        made = "created" if self.created else "found"
        lines = [
            f"{self.assignment}: LMS line item {made} ({self.lineitem})",
            f"  final marks posted: {len(self.posted)}"
            + (f" ({', '.join(self.posted)})" if self.posted else ""),
        ]
        if self.unchanged:
            lines.append(f"  already in the LMS, unchanged: {len(self.unchanged)}")
        if self.provisional:
            lines.append(
                "  NOT posted (provisional: written answers awaiting a tutor): "
                + ", ".join(self.provisional)
            )
        if self.unlinked:
            lines.append(
                "  NOT posted (no LMS user known; run `qilab course lms roster`): "
                + ", ".join(self.unlinked)
            )
        for learner, reason in self.rejected.items():
            lines.append(f"  NOT posted, the LMS refused {learner}'s mark: {reason}")
        return "\n".join(lines)


def find_or_create_lineitem(
    config: LtiConfig, client: LmsClient, assignment: str, maximum: float
) -> tuple[dict[str, Any], bool]:
    """The assignment's line item (found by resourceId, all pages), made if there is none."""
    container = config.lineitems_url
    if not container:
        raise LtiError(
            f"{config.source} has no lineitems_url: copy it from a launch's AGS endpoint "
            "claim, or from the LMS tool's course settings."
        )
    url: str | None = container
    params: dict[str, str] | None = {"resource_id": assignment, "tag": TAG}
    while url:
        response = client.request(
            "GET", url, SCOPES, "the gradebook columns (AGS line items)", CONTAINER, params=params
        )
        items = response.json()
        if not isinstance(items, list):
            raise LtiError(f"{url} is not an AGS line items list: check lineitems_url.")
        for item in items:
            if isinstance(item, dict) and item.get("resourceId") == assignment:
                return item, False
        url, params = next_page(response), None
    body = {"scoreMaximum": maximum, "label": assignment, "resourceId": assignment, "tag": TAG}
    response = client.request(
        "POST",
        container,
        SCOPES,
        f"a gradebook column for {assignment}",
        LINEITEM,
        json_body=body,
        content_type=LINEITEM,
    )
    item = response.json()
    if not isinstance(item, dict) or not item.get("id"):
        raise LtiError(f"the LMS made a line item for {assignment} but sent back no id.")
    return item, True


def scores_url(lineitem: str) -> str:
    """``…/lineitems/7?type_id=1`` → ``…/lineitems/7/scores?type_id=1`` (AGS §3.4)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def post_grades(
    course: Course,
    config: LtiConfig,
    assignments: list[str],
    client: LmsClient | None = None,
    everything: bool = False,
    manifest: str | Path | None = None,
    now: datetime | None = None,
) -> list[GradeReturn]:
    """Post each learner's final mark for each assignment (see the module docstring)."""
    client = client or LmsClient(config)
    data = cohort_data(course, manifest, now=now)
    unknown = sorted(set(assignments) - set(data.assignments))
    if unknown:
        raise LtiError(
            f"no assignment {', '.join(unknown)} in {course.root}: choose from "
            f"{', '.join(data.assignments) or '(none yet)'}."
        )
    lms_user = {learner: user for user, learner in read_users(course.root).items()}
    ledger_path = state_path(course.root, LEDGER)
    ledger = json.loads(ledger_path.read_text()) if ledger_path.is_file() else {}
    results = []
    for assignment in assignments:
        rows = data.status[data.status["assignment"] == assignment]
        final = rows[(rows["marks"] == FINAL) & rows["percent"].notna()]
        result = GradeReturn(assignment)
        result.provisional = sorted(rows.loc[rows["marks"] == PROVISIONAL, "learner"])
        results.append(result)
        if final.empty:
            continue
        maximum = float(final["max_score"].max())
        item, result.created = find_or_create_lineitem(config, client, assignment, maximum)
        result.lineitem = str(item["id"])
        sent = ledger.setdefault(assignment, {})
        for row in table_rows(final):
            learner = str(row.learner)
            user = lms_user.get(learner)
            if user is None:
                result.unlinked.append(learner)
                continue
            mark = [float(row.score), float(row.max_score)]
            if not everything and sent.get(learner) == {"lineitem": result.lineitem, "mark": mark}:
                result.unchanged.append(learner)
                continue
            score = {
                "userId": user,
                "scoreGiven": mark[0],
                "scoreMaximum": mark[1],
                "comment": feedback_comment(data, learner, assignment),
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "activityProgress": "Completed",
                "gradingProgress": "FullyGraded",
            }
            try:
                client.request(
                    "POST",
                    scores_url(result.lineitem),
                    SCOPES,
                    f"{learner}'s mark for {assignment}",
                    json_body=score,
                    content_type=SCORE,
                )
            except LmsHttpError as error:  # one learner refused (e.g. left the LMS course)
                if error.status in (400, 404, 409, 422):
                    result.rejected[learner] = f"HTTP {error.status}{error.detail}"
                    continue
                raise
            sent[learner] = {"lineitem": result.lineitem, "mark": mark}
            ledger_path.write_text(json.dumps(ledger, indent=2, sort_keys=True))
            result.posted.append(learner)
    return results
