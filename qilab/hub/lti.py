"""LTI 1.3 launches into the hub: jupyterhub-ltiauthenticator's OIDC login, QI Lab's checks.

jupyterhub-ltiauthenticator does the OpenID Connect third-party-initiated login a platform
(Moodle, Canvas) starts: ``/hub/lti13/oauth_login`` sends the browser to the LMS's
``authorize_url`` with a ``state`` and a ``nonce`` (kept in signed cookies), and the LMS posts the
signed ``id_token`` back to ``/hub/lti13/oauth_callback``. It checks the state, the signature,
issuer, audience, expiry, required claims and that the token's nonce is the one this browser was
given. It does not know the academy's registered deployments, keeps no record of launches used
(a copied id_token with its cookies would log in again), and names users by a claim of the token,
not by the course's roster.

So the hub uses :class:`QilabLTI13Authenticator`, which runs QI Lab's own launch checks first
(:func:`qilab.grading.lti.launch.validate_launch`: deployment id, message type, nonce never used
before, on top of signature, issuer, audience, expiry), then the library's, and names the
person as the gradebook does:

- an LMS *learner* is the learner ``qilab course lms roster`` matched (LMS user id, else email),
  so their submissions and marks line up with the gradebook; someone the roster does not have
  gets one page saying what the tutor runs;
- an LMS *instructor* (or teaching assistant, or administrator) of the LMS course this course
  is linked to is a tutor: the ``tutors`` group, which gives the tutor tools
  (qilab/hub/spawner.py); a learner is never in it. One tool registration (deployment) often
  serves every course of an LMS site, so an instructor of *another* LMS course is refused:
  the launch's course (its Names and Role Provisioning address, the same in every launch from
  a course) must be ``lti.yaml``'s ``context_memberships_url``.

Each refusal is one page for the person and one log line in the hub's log,
``LTI launch refused: <reason>: <detail>``; no server starts and no log-in cookie is set.

The hub also publishes the tool's public key at ``/hub/lti13/jwks`` (a JSON Web Key Set), for
an LMS that takes a key set URL (Moodle's *Keyset URL*, Canvas's *Public JWK URL*) rather than
a pasted key.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler, LTI13LoginInitHandler
from tornado.web import HTTPError
from traitlets import Bool, Unicode

from qilab.grading.lti import LtiError, load_config
from qilab.grading.lti.launch import LaunchIdentity, LaunchRefused, NonceStore, validate_launch
from qilab.hub.config import TUTORS_GROUP, USERNAME

#: What the person sees for each refusal (the hub's log has the detail for IT).
MESSAGES = {
    "bad signature": (
        "This launch was not signed by your LMS, so QI Lab did not log you in. Open QI Lab again "
        "from your course page in the LMS; if this keeps happening, tell your tutor."
    ),
    "expired token": (
        "This launch has expired (a launch from the LMS is valid for a few minutes). Go back to "
        "your course page in the LMS and click the QI Lab link again."
    ),
    "token not valid yet": (
        "This launch is dated in the future: the LMS's clock and this hub's clock differ. Tell "
        "your tutor (the academy's IT team sets the clocks)."
    ),
    "unknown deployment": (
        "This QI Lab link comes from an LMS deployment this hub is not registered for. Tell your "
        "tutor: the academy's IT team adds the deployment id to the course's lti.yaml."
    ),
    "replayed nonce": (
        "This launch was already used (each launch from the LMS works once). Go back to your "
        "course page in the LMS and click the QI Lab link again."
    ),
}
DEFAULT_MESSAGE = (
    "QI Lab could not accept this launch from your LMS. Open QI Lab again from your course "
    "page; if this keeps happening, tell your tutor (the hub's log says why)."
)


def refusal(status: int, message: str, title: str = "Launch refused") -> HTTPError:
    """An error page (``title``, then ``message``) for the person, and no second log line:
    the reason was logged once already, on the ``qilab.lti`` logger."""
    error = HTTPError(status, reason=title)
    error.jupyterhub_message = message  # type: ignore[attr-defined]  # JupyterHub's error page
    return error


class QilabLTI13LoginInitHandler(LTI13LoginInitHandler):
    """The login initiation, whose state and nonce cookies survive the LMS's cross-site post.

    The LMS posts the launch back from its own site. Browsers that treat a cookie without a
    SameSite attribute as ``Lax`` (Chrome, Edge) may withhold it from that cross-site POST
    (Chrome's exception for freshly set cookies is a stop-gap), and the launch would then fail
    with "OAuth state missing from cookies". Over HTTPS the two cookies say ``SameSite=None;
    Secure`` (they are encrypted, HttpOnly and read once); over plain HTTP, for trials on one
    machine, browsers refuse ``SameSite=None``, so they are left as the library sets them.
    """

    def _set_oauth_cookie(self, key: str, value: Any) -> None:
        if self.authenticator.get_uri_scheme(self.request) != "https":
            super()._set_oauth_cookie(key, value)
            return
        self._set_cookie(
            key, value, expires_days=1, httponly=True, encrypted=True, samesite="None", secure=True
        )


class QilabLTI13CallbackHandler(LTI13CallbackHandler):
    """The LMS's form post: QI Lab's launch checks, then the library's, then log-in."""

    qilab_launch: LaunchIdentity | None = None

    async def post(self) -> None:
        id_token = self.get_body_argument("id_token", "")
        if id_token:  # without one, the library's own check names what is missing
            authenticator: QilabLTI13Authenticator = self.authenticator
            try:
                # Blocking: the LMS's key set over HTTP and the nonce file's lock.
                self.qilab_launch = await asyncio.to_thread(authenticator.check_launch, id_token)
            except LaunchRefused as refused:
                raise refusal(403, MESSAGES.get(refused.reason, DEFAULT_MESSAGE)) from None
            except LtiError as exc:
                self.log.error("LTI launch failed: %s", exc)
                raise refusal(
                    503,
                    "QI Lab cannot check launches from your LMS at the moment. Try again in a "
                    "few minutes; if it keeps happening, tell your tutor.",
                    "Launch not checked",
                ) from None
        await super().post()


class ToolKeySetHandler(BaseHandler):
    """``GET /hub/lti13/jwks``: the tool's public key, for an LMS that fetches a key set."""

    def get(self) -> None:
        authenticator: QilabLTI13Authenticator = self.authenticator
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(authenticator.tool_key_set()))


class QilabLTI13Authenticator(LTI13Authenticator):
    """jupyterhub-ltiauthenticator with QI Lab's launch checks and the course's roster."""

    login_handler = QilabLTI13LoginInitHandler
    callback_handler = QilabLTI13CallbackHandler
    course = Unicode(config=True, help="The course folder: its lti.yaml, roster and lti/ state.")
    tutors_group = Unicode(TUTORS_GROUP, config=True, help="Members get the tutor tools.")
    # Groups come from the LMS at every launch: an instructor is a tutor, a learner is not.
    manage_groups = Bool(True, config=True, help="Group membership is set at each launch.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # QI Lab's launch log lines go to the hub's log, in its format (as JupyterHub does for
        # tornado's loggers).
        lti_log = logging.getLogger("qilab.lti")
        lti_log.parent = self.log
        lti_log.propagate = True

    def get_handlers(self, app: Any) -> list[Any]:
        return [*super().get_handlers(app), (url_path_join("", "lti13", "jwks"), ToolKeySetHandler)]

    def check_launch(self, id_token: str) -> LaunchIdentity:
        """QI Lab's checks of the launch (LaunchRefused names the reason) and who it is."""
        config = load_config(self.course)
        return validate_launch(id_token, config, NonceStore.for_course(self.course), self.course)

    def tool_key_set(self) -> dict[str, Any]:
        """The tool's public key (the half of ``qilab course lms keys``'s) as a JWKS."""
        from qilab.grading.lti.keys import make_tool_key

        config = load_config(self.course)
        path = config.tool_private_key
        if path is None or not Path(path).is_file():
            logging.getLogger("qilab.lti").error(
                "LTI: the LMS asked for the tool's key set, but %s has no tool key yet: run "
                "`qilab course lms keys -C %s`",
                self.course,
                self.course,
            )
            # (a public address: the page names no folder of this server). 503, not 404:
            # JupyterHub's 404 page shows no message, and the key will be there once made.
            raise refusal(
                503,
                "This course has no tool key yet: the tutor makes one with `qilab course lms "
                "keys` (the hub's log says where).",
                "No tool key",
            )
        _, jwk = make_tool_key(Path(path), config.tool_key_id)  # an existing key: read only
        return {"keys": [json.loads(jwk)]}

    async def authenticate(self, handler: Any, data: dict[str, Any] | None = None) -> Any:
        """The hub user for a launch that passed every check: roster learner or LMS tutor."""
        identity: LaunchIdentity | None = getattr(handler, "qilab_launch", None)
        if identity is None or data is None:
            raise refusal(403, DEFAULT_MESSAGE)
        lti_log = logging.getLogger("qilab.lti")
        who = f"LMS user {identity.user_id!r}" + (f" ({identity.email})" if identity.email else "")
        if identity.is_instructor:
            linked = await asyncio.to_thread(self._linked_course)
            launched = identity.services.get("context_memberships_url", "").rstrip("/")
            if not linked or launched != linked:
                lti_log.warning(
                    "LTI launch refused: instructor of another LMS course: %s launched from "
                    "the LMS course whose roster is %r, not this course's %r "
                    "(context_memberships_url in %s/lti.yaml)",
                    who,
                    launched or None,
                    linked or None,
                    self.course,
                )
                raise refusal(
                    403,
                    "You are an instructor in the LMS, but not of the LMS course this QI Lab "
                    "course is linked to, so you are not one of its tutors. Open QI Lab from "
                    "that course's page; if this is that course, tell the academy's IT team "
                    "(the hub's log says which course the LMS named).",
                )
            name = str(self.get_username(data)).lower()
            learners = {learner.lower() for learner in await asyncio.to_thread(self._learner_ids)}
            if name in learners:
                lti_log.warning(
                    "LTI launch refused: tutor is a learner: %s is an instructor in the LMS but "
                    "%r is a learner of %s",
                    who,
                    name,
                    self.course,
                )
                raise refusal(
                    403,
                    f"Your LMS account is an instructor's, but {name!r} is a learner on this "
                    "course's roster: a person is either a tutor or a learner here. Ask the "
                    "course's tutor to sort out the roster.",
                )
        else:
            if not identity.learner_id:
                command = f"qilab course lms roster -C {self.course}"
                lti_log.warning(
                    "LTI launch refused: not on the roster: %s is not a learner of %s (run `%s`)",
                    who,
                    self.course,
                    command,
                )
                raise refusal(
                    403,
                    "You are not on this course's roster in QI Lab yet (for example, you "
                    "joined the course in the LMS after the roster was last brought over). "
                    "Ask your tutor to bring the roster over from the LMS (`qilab course lms "
                    "roster`), then click the QI Lab link in the LMS again.",
                    "Not on the roster yet",
                )
            name = identity.learner_id
        if not USERNAME.match(name):
            lti_log.warning("LTI launch refused: unusable name: %r (%s)", name, who)
            raise refusal(
                403,
                f"Your name in QI Lab, {name!r}, cannot name an account on this hub. Tell your "
                "tutor: learner ids must be lower-case letters, digits and . _ - @.",
            )
        tutor = identity.is_instructor  # of the linked course; a learner never is
        lti_log.info("LTI launch: %s is %s %r", who, "tutor" if tutor else "learner", name)
        return {
            "name": name,
            "groups": [self.tutors_group] if tutor else [],
            # The token's claims first: none of them can stand in for QI Lab's own mark.
            "auth_state": {**data, "qilab_lti": True, "lms_user_id": identity.user_id},
        }

    def _linked_course(self) -> str:
        """The LMS course this course is linked to, by its NRPS address (``lti.yaml``'s
        ``context_memberships_url``: the LMS sends it in each launch from that course)."""
        return load_config(self.course).context_memberships_url.rstrip("/")

    def _learner_ids(self) -> list[str]:
        from qilab.grading.course import Course

        return [learner.id for learner in Course.open(self.course).learners()]

    def check_allowed(self, username: str, authentication: Any = None) -> bool:
        """Whoever passed the launch checks: the roster (read now, so learners the tutor just
        brought over from the LMS get in) or the LMS's instructors decided who they are."""
        if authentication and (authentication.get("auth_state") or {}).get("qilab_lti"):
            return True
        return bool(super().check_allowed(username, authentication))
