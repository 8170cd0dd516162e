"""Check an LTI 1.3 launch: the ``id_token`` a learner's browser brings from the LMS.

A launch is an OpenID Connect id_token the LMS signs with its own key (IMS Security Framework
§5.1.3; LTI Core §5.3). It is accepted only when every check passes, in this order:

1. **signature** — RS256 by a key in the platform's published key set (``key_set_url``);
2. **issuer** is the configured platform, **audience** is this tool's ``client_id`` (with
   ``azp`` when there are several audiences);
3. **exp / iat** — not expired, not issued in the future (a minute's clock skew allowed);
4. **deployment_id** is one the academy registered;
5. **message type and version** — ``LtiResourceLinkRequest`` (or deep linking), ``1.3.0``;
6. **nonce** — never seen before (a copied token cannot be replayed); it is recorded only
   once every other check has passed.

Each refusal raises :class:`LaunchRefused` whose ``reason`` is one of :data:`REASONS`, and
writes one log line ``LTI launch refused: <reason>: <detail>`` on the ``qilab.lti`` logger.
The OIDC login step before it (login initiation, ``state``) belongs to the web front end —
JupyterHub's LTI authenticator — and is not done here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from .config import LtiConfig, LtiError, state_path
from .nrps import LEARNER_ROLE, read_users

log = logging.getLogger("qilab.lti")

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
INSTRUCTOR_ROLES = ("membership#Instructor", "membership/Instructor#", "institution/person#Admin")
LEEWAY = 60  # seconds of clock difference between LMS and QI Lab
REASONS = (
    "bad signature",
    "expired token",
    "token not valid yet",
    "wrong issuer",
    "wrong audience",
    "replayed nonce",
    "unknown deployment",
    "not an LTI 1.3 launch",
    "malformed token",
)


class LaunchRefused(LtiError):
    """A launch that failed one check; ``reason`` names which (one of :data:`REASONS`)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"LTI launch refused: {reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class LaunchIdentity:
    """Who arrived, in which LMS course, and the course's service addresses."""

    user_id: str
    roles: tuple[str, ...]
    deployment_id: str
    email: str = ""
    name: str = ""
    learner_id: str | None = None  # the gradebook learner, when the roster knows them
    context_id: str = ""
    resource_link_id: str = ""
    services: dict[str, str] = field(default_factory=dict)

    @property
    def is_learner(self) -> bool:
        return LEARNER_ROLE in self.roles or "Learner" in self.roles

    @property
    def is_instructor(self) -> bool:
        return any(marker in role for role in self.roles for marker in INSTRUCTOR_ROLES)


class NonceStore:
    """Nonces already used, kept until their token expires (a JSON file, locked for writers)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_course(cls, course_root: str | Path) -> NonceStore:
        return cls(state_path(course_root, "nonces.json"))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, float]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            seen = json.loads(self.path.read_text()) if self.path.is_file() else {}
            yield seen
            now = time.time()
            kept = {n: until for n, until in seen.items() if until > now}
            self.path.write_text(json.dumps(kept))

    def use(self, nonce: str, until: float) -> bool:
        """Record ``nonce``; False when it was used before (a replay)."""
        with self._locked() as seen:
            if nonce in seen and seen[nonce] > time.time():
                return False
            seen[nonce] = until + LEEWAY
            return True


_key_sets: dict[str, jwt.PyJWKClient] = {}


def _signing_key(config: LtiConfig, token: str, refresh: bool = False) -> Any:
    """The platform's key named by the token's ``kid`` (its key set is cached; ``refresh``
    fetches it again, for a platform that rotated its key)."""
    client = _key_sets.setdefault(
        config.key_set_url, jwt.PyJWKClient(config.key_set_url, cache_keys=True, timeout=10)
    )
    try:
        if refresh:
            client.get_jwk_set(refresh=True)
        return client.get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientConnectionError:
        raise LtiError(
            f"cannot fetch the LMS's key set {config.key_set_url}: check key_set_url in "
            f"{config.source} and the network."
        ) from None
    except jwt.DecodeError as exc:
        raise LaunchRefused("malformed token", str(exc)) from None
    except jwt.PyJWKClientError as exc:
        raise LaunchRefused(
            "bad signature", f"signed with a key the LMS's key set does not hold ({exc})"
        ) from None


def validate_launch(
    id_token: str,
    config: LtiConfig,
    nonces: NonceStore,
    course_root: str | Path | None = None,
) -> LaunchIdentity:
    """Check a launch (see the module docstring) and say who it is; else LaunchRefused."""
    try:
        return _validate(id_token, config, nonces, course_root)
    except LaunchRefused as refused:
        log.warning("%s", refused)
        raise


def _decode(id_token: str, config: LtiConfig, key: Any) -> dict[str, Any]:
    return jwt.decode(
        id_token,
        key,
        algorithms=["RS256"],
        audience=config.client_id,
        issuer=config.issuer,
        leeway=LEEWAY,
        options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
    )


def _validate(
    id_token: str, config: LtiConfig, nonces: NonceStore, course_root: str | Path | None
) -> LaunchIdentity:
    try:
        try:
            claims = _decode(id_token, config, _signing_key(config, id_token))
        except jwt.InvalidSignatureError:  # perhaps a rotated key: fetch the key set again
            claims = _decode(id_token, config, _signing_key(config, id_token, refresh=True))
    except jwt.InvalidSignatureError:
        raise LaunchRefused("bad signature", "the LMS's key does not verify it") from None
    except jwt.InvalidAlgorithmError:  # alg=none, or HS256 keyed with the public key
        raise LaunchRefused("bad signature", "not signed with RS256, as LTI 1.3 requires") from None
    except jwt.ExpiredSignatureError:
        raise LaunchRefused(
            "expired token", "its exp has passed (an old link, or the clocks differ)"
        ) from None
    except jwt.ImmatureSignatureError:
        raise LaunchRefused("token not valid yet", "issued in the future") from None
    except jwt.InvalidIssuerError:
        raise LaunchRefused("wrong issuer", f"not from {config.issuer}") from None
    except jwt.InvalidAudienceError:
        raise LaunchRefused("wrong audience", f"not for client_id {config.client_id}") from None
    except jwt.MissingRequiredClaimError as exc:
        raise LaunchRefused("not an LTI 1.3 launch", str(exc)) from None
    except jwt.InvalidTokenError as exc:
        raise LaunchRefused("malformed token", str(exc)) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise LaunchRefused("wrong audience", f"azp is not client_id {config.client_id}")
    deployment = str(claims.get(LTI + "deployment_id", ""))
    if deployment not in config.deployment_ids:
        raise LaunchRefused(
            "unknown deployment",
            f"deployment_id {deployment!r} is not in deployment_ids of {config.source}",
        )
    if claims.get(LTI + "message_type") not in MESSAGE_TYPES:
        raise LaunchRefused(
            "not an LTI 1.3 launch", f"message_type {claims.get(LTI + 'message_type')!r}"
        )
    if claims.get(LTI + "version") != "1.3.0":
        raise LaunchRefused("not an LTI 1.3 launch", f"version {claims.get(LTI + 'version')!r}")
    if not nonces.use(str(claims["nonce"]), float(claims["exp"])):
        raise LaunchRefused("replayed nonce", "this launch was used before")
    learner_id = _learner_for(course_root, str(claims["sub"]), str(claims.get("email", "")))
    services = {}
    if isinstance(claims.get(NRPS_CLAIM), dict):
        services["context_memberships_url"] = str(claims[NRPS_CLAIM].get("context_memberships_url"))
    if isinstance(claims.get(AGS_CLAIM), dict) and claims[AGS_CLAIM].get("lineitems"):
        services["lineitems_url"] = str(claims[AGS_CLAIM]["lineitems"])
    return LaunchIdentity(
        user_id=str(claims["sub"]),
        roles=tuple(str(r) for r in claims.get(LTI + "roles", [])),
        deployment_id=deployment,
        email=str(claims.get("email", "")),
        name=str(claims.get("name", "")),
        learner_id=learner_id,
        context_id=str((claims.get(LTI + "context") or {}).get("id", "")),
        resource_link_id=str((claims.get(LTI + "resource_link") or {}).get("id", "")),
        services=services,
    )


def _learner_for(course_root: str | Path | None, user_id: str, email: str) -> str | None:
    """The gradebook learner an LMS user is: by their LMS user id (recorded by ``qilab course
    lms roster``), else by email — the same matching the roster pull uses."""
    if course_root is None:
        return None
    known = read_users(Path(course_root)).get(user_id)
    if known or not email:
        return known
    from ..course import Course

    matches = [
        learner.id
        for learner in Course.open(course_root).learners()
        if learner.email and learner.email.casefold() == email.casefold()
    ]
    return matches[0] if len(matches) == 1 else None
