"""nbgrader's exchange on the hub, private per learner.

nbgrader's filesystem exchange relies on Unix accounts: one ``inbound/`` folder every learner can
write into (mode 0733, world-writable) and one ``feedback/`` folder of files named by hashes. On
a hub whose learners are not Unix accounts (QI Lab's sandboxed servers all run as the hub's
user) that would let any learner read every submission. So on the hub the exchange has a
folder per learner, and each learner's sandbox binds only theirs, at the place nbgrader
expects, so nbgrader's own learner side (fetch, submit, list, fetch feedback) runs unchanged::

    EXCHANGE/COURSE/outbound/               released assignments (read-only for learners)
    EXCHANGE/COURSE/inbound/LEARNER/        seen by LEARNER as EXCHANGE/COURSE/inbound
    EXCHANGE/COURSE/feedback/LEARNER/       seen by LEARNER as EXCHANGE/COURSE/feedback

The tutor's side (``qilab course collect`` and ``qilab course feedback``) goes through nbgrader's
exchange factory; these two classes, set in the course's ``nbgrader_config.py`` by
:func:`ensure_course_settings`, read and write the per-learner folders. The exchange's root is
private to the hub's user (0700): nothing on the machine outside the hub can read it.

A submission is attributed to the folder it is in, never to the name in its file name: a
learner who submits under another's name is refused at collection, and the tutor told.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import parse_utc

#: The lines ``qilab hub`` adds to a course's nbgrader_config.py (once).
COURSE_MARKER = "# --- QI Lab hub: per-learner exchange folders (added by `qilab hub`) ---"
COURSE_SETTINGS = f"""
{COURSE_MARKER}
# On the hub each learner's sandbox sees only EXCHANGE/COURSE/inbound/LEARNER and
# feedback/LEARNER (grading/exchange.py): collect and release feedback there too.
c.ExchangeFactory.collect = "qilab.grading.exchange.PerLearnerCollect"
c.ExchangeFactory.release_feedback = "qilab.grading.exchange.PerLearnerReleaseFeedback"
"""


def ensure_course_settings(course: Path) -> bool:
    """Add the hub's exchange settings to the course's config once; True if it was changed."""
    path = course / "nbgrader_config.py"
    text = path.read_text(encoding="utf-8")
    if COURSE_MARKER in text:
        return False
    path.write_text(text.rstrip("\n") + "\n" + COURSE_SETTINGS, encoding="utf-8")
    return True


def learner_folders(exchange: Path, course_id: str, learner: str) -> dict[str, Path]:
    """A learner's own exchange folders on the host (made private if new), by role."""
    course = exchange / course_id
    folders = {
        "outbound": course / "outbound",
        "inbound": course / "inbound" / learner,
        "feedback": course / "feedback" / learner,
    }
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o700)
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def misattributed(inbound: Path, assignment: str) -> list[tuple[str, str, Path]]:
    """Submissions in one learner's folder naming another: (folder's learner, name, path).

    Only the learner can write into their own folder, so such a file is a forgery (or a
    learner's mistake): :class:`PerLearnerCollect` refuses it and ``qilab course collect``
    names it to the tutor.
    """
    found = []
    for path in sorted(inbound.glob(f"*/*+{assignment}+*")):
        owner, claimed = path.parent.name, path.name.split("+", 1)[0]
        if claimed != owner:
            found.append((owner, claimed, path))
    return found


class PerLearnerCollect(ExchangeCollect):
    """nbgrader's collect, also reading ``inbound/LEARNER/`` folders (the hub's layout)."""

    refused: list[str]
    src_records: list[dict[str, Any]]  # nbgrader's, named for the type checker

    def init_src(self) -> None:
        super().init_src()  # the flat inbound/ of a single-machine course, if any
        self.refused = []
        wanted = self.coursedir.student_id if self.coursedir.student_id else "*"
        by_learner: dict[str, list[dict[str, Any]]] = {}
        for rec in self.src_records:
            by_learner.setdefault(rec["username"], []).append(rec)
        pattern = os.path.join(self.inbound_path, wanted, f"*+{self.coursedir.assignment_id}+*")
        for path in glob.glob(pattern):
            folder, name = os.path.split(path)
            learner = os.path.basename(folder)
            parts = name.rsplit("+", 3)
            if len(parts) < 3 or parts[0] != learner:
                self.refused.append(path)
                self.log.warning(
                    "Refused %s: it is in %s's own folder but names %r; only %s can submit "
                    "there, so it is not collected for anyone.",
                    path,
                    learner,
                    parts[0],
                    learner,
                )
                continue
            record = {
                "username": learner,
                "filename": os.path.join(learner, name),
                "timestamp": parse_utc(parts[2]),
            }
            by_learner.setdefault(learner, []).append(record)
        self.src_records = [self._latest(records) for records in by_learner.values()]

    def _latest(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        records = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            early = [r for r in records if r["timestamp"] <= self.duedate]
            if early:
                return early[0]
        return records[0]


class PerLearnerReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release feedback, also into ``feedback/LEARNER/`` (the hub's layout)."""

    dest_path: str  # nbgrader's, named for the type checker

    def copy_files(self) -> None:
        super().copy_files()  # feedback/ itself: a single-machine course's learners look there
        shared = self.dest_path
        learners = self.coursedir.student_id or "*"
        pattern = self.coursedir.format_path(
            self.coursedir.feedback_directory, learners, self.coursedir.assignment_id
        )
        try:
            for folder in sorted(glob.glob(pattern)):
                learner = Path(folder).parent.name
                self.src_path = folder
                self.dest_path = os.path.join(shared, learner)
                os.makedirs(self.dest_path, exist_ok=True)
                super().copy_files()
        finally:
            self.dest_path = shared
