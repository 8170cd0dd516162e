"""The LMS a course is linked to, read from ``lti.yaml`` in the course folder.

The academy's IT team registers QI Lab in the LMS as an LTI 1.3 tool; the LMS then shows the
values below (Moodle: *Site administration → Plugins → External tool → Manage tools → Tool
details*; Canvas: *Developer Keys* and the course's *Settings → Apps*). Keeping them in the
course folder, beside ``nbgrader_config.py``, means one cohort = one folder to back up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qilab.errors import QilabError

CONFIG_NAME = "lti.yaml"
#: Where QI Lab keeps what the link learned (LMS user ids, marks posted, nonces seen).
STATE_DIR = "lti"
LEARNER_ID_FIELDS = ("user_id", "email", "sourcedid")

REQUIRED = ("issuer", "client_id", "deployment_ids", "key_set_url", "auth_token_url")

#: An lti.yaml for a Moodle site (the README's table explains each key).
EXAMPLE = """\
# LTI 1.3: this course as a tool in the academy's LMS (grading/README.md, "LTI 1.3").
issuer: https://moodle.academy.example          # the LMS's "Platform ID"
client_id: "AbC123"                              # the tool's "Client ID"
deployment_ids: ["1"]                            # the tool's "Deployment ID"(s)
auth_login_url: https://moodle.academy.example/mod/lti/auth.php
auth_token_url: https://moodle.academy.example/mod/lti/token.php
key_set_url: https://moodle.academy.example/mod/lti/certs.php
tool_private_key: lti/tool-private.pem           # made by `qilab course lms keys`
tool_key_id: qilab-1
# This LMS course's services (the LMS sends them in every launch; copy them once):
context_memberships_url: https://moodle.academy.example/mod/lti/services.php/2/bindings/1/memberships
lineitems_url: https://moodle.academy.example/mod/lti/services.php/2/lineitems?type_id=1
learner_id: user_id                              # new learners' id: user_id, email or sourcedid
"""


class LtiError(QilabError):
    """The LMS link is not configured, or the LMS refused or failed a request."""


@dataclass(frozen=True)
class LtiConfig:
    """One LMS (the *platform*) and this course's registration in it."""

    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    key_set_url: str
    auth_token_url: str
    auth_login_url: str = ""
    auth_audience: str = ""  # the token endpoint's audience, when the LMS says it differs
    tool_private_key: Path | None = None
    tool_key_id: str = "qilab-1"
    context_memberships_url: str = ""
    lineitems_url: str = ""
    learner_id: str = "user_id"
    timeout: float = 30.0
    source: Path = field(default_factory=Path)

    @property
    def token_audience(self) -> str:
        return self.auth_audience or self.auth_token_url

    def private_key_pem(self) -> bytes:
        """The tool's RSA private key (PEM), which signs its requests to the LMS."""
        if self.tool_private_key is None:
            raise LtiError(
                f"{self.source} names no tool_private_key: make one with `qilab course lms "
                "keys` and register its public key in the LMS."
            )
        try:
            return self.tool_private_key.read_bytes()
        except OSError:
            raise LtiError(
                f"cannot read the tool's private key {self.tool_private_key}: make one with "
                "`qilab course lms keys`, or fix tool_private_key in "
                f"{self.source}."
            ) from None


def load_config(course_root: str | Path) -> LtiConfig:
    """Read ``lti.yaml`` from a course folder; a missing or incomplete file says what to add."""
    root = Path(course_root)
    path = root / CONFIG_NAME
    if not path.is_file():
        raise LtiError(
            f"{path} does not exist: this course is not linked to an LMS yet. Write it from "
            "the values the LMS shows for the QI Lab tool (the keys and an example are in "
            "grading/README.md, 'LTI 1.3 with the academy's LMS')."
        )
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LtiError(f"{path} is not valid YAML ({exc}): fix the line it names.") from None
    if not isinstance(raw, dict):
        raise LtiError(f"{path} must be 'key: value' lines, e.g. 'client_id: AbC123'.")
    missing = [key for key in REQUIRED if not raw.get(key)]
    if missing:
        raise LtiError(
            f"{path} lacks {', '.join(missing)}: copy them from the tool's registration in the "
            "LMS (grading/README.md, 'LTI 1.3')."
        )
    known = set(LtiConfig.__dataclass_fields__) - {"source"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise LtiError(f"{path} has unknown keys {', '.join(unknown)}: check their spelling.")
    deployments = raw["deployment_ids"]
    if isinstance(deployments, str | int):
        deployments = [deployments]
    learner_id = str(raw.get("learner_id", "user_id"))
    if learner_id not in LEARNER_ID_FIELDS:
        raise LtiError(
            f"{path}: learner_id {learner_id!r} must be one of {', '.join(LEARNER_ID_FIELDS)}."
        )
    key = raw.get("tool_private_key")
    key_path = None if not key else (root / str(key)).resolve()
    values: dict[str, Any] = {
        k: (float(v) if k == "timeout" else str(v))
        for k, v in raw.items()
        if k not in ("deployment_ids", "tool_private_key")
    }
    return LtiConfig(
        **values,
        deployment_ids=tuple(str(d) for d in deployments),
        tool_private_key=key_path,
        source=path,
    )


def state_path(course_root: str | Path, name: str) -> Path:
    """A file in the course's ``lti/`` folder (made on first use)."""
    folder = Path(course_root) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
