"""Calls from QI Lab to the LMS's LTI Advantage services, with an OAuth 2 access token.

LTI Advantage (IMS Security Framework §4.1) has the tool ask the platform's token endpoint
for an access token with the *client credentials* grant, authenticating with a JWT it signs
with its own private key (RFC 7523 ``private_key_jwt``): ``iss`` = ``sub`` = the client id,
``aud`` = the token endpoint, a short ``exp`` and a unique ``jti``. The platform checks it
against the public key registered for the tool and grants the scopes the tool is allowed.

Every failure becomes one :class:`LtiError` naming what to fix; nothing here writes to the
course, so a failed call changes nothing locally.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from .config import LtiConfig, LtiError

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: What the LMS administrator switches on for each scope, for messages.
SCOPE_SETTING = {
    SCOPE_NRPS: "Names and Role Provisioning Services (Moodle: 'Retrieve members'; Canvas: "
    "the contextmembership.readonly scope of the developer key)",
    SCOPE_LINEITEM: "Assignment and Grade Services (Moodle: 'Use this service for grade sync "
    "and column management'; Canvas: the lineitem scope)",
    SCOPE_SCORE: "Assignment and Grade Services (Moodle: 'Use this service for grade sync and "
    "column management'; Canvas: the score scope)",
}


class LmsHttpError(LtiError):
    """The LMS answered a service call with an HTTP error ``status``."""

    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


@dataclass
class LmsClient:
    """An authenticated session with one LMS, one access token per set of scopes."""

    config: LtiConfig
    session: requests.Session = field(default_factory=requests.Session)
    _tokens: dict[frozenset[str], tuple[str, float]] = field(default_factory=dict)

    # -- the access token ------------------------------------------------------------------
    def assertion(self) -> str:
        """The signed JWT that proves to the LMS this request comes from this tool."""
        now = int(time.time())
        claims = {
            "iss": self.config.client_id,
            "sub": self.config.client_id,
            "aud": self.config.token_audience,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        try:
            return jwt.encode(
                claims,
                self.config.private_key_pem(),
                algorithm="RS256",
                headers={"kid": self.config.tool_key_id},
            )
        except (ValueError, TypeError) as exc:
            raise LtiError(
                f"the tool's private key {self.config.tool_private_key} is not an RSA PEM key "
                f"({exc}): make a new one with `qilab course lms keys`."
            ) from None

    def token(self, scopes: list[str]) -> str:
        """An access token for ``scopes`` (reused until a minute before it expires)."""
        wanted = frozenset(scopes)
        cached = self._tokens.get(wanted)
        if cached and cached[1] > time.time() + 60:
            return cached[0]
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(),
            "scope": " ".join(sorted(wanted)),
        }
        url = self.config.auth_token_url
        response = self._send("POST", url, data=form, what="the access token")
        if response.status_code == 400 and _oauth_error(response) == "invalid_scope":
            raise LtiError(
                "the LMS did not grant "
                + "; ".join(SCOPE_SETTING.get(s, s) for s in sorted(wanted))
                + ": enable it for the QI Lab tool in the LMS (HTTP 400 invalid_scope)."
            )
        if response.status_code in (400, 401):
            raise LtiError(
                f"the LMS refused QI Lab's credentials at {url} (HTTP {response.status_code}"
                f"{_detail(response)}): check client_id in {self.config.source} and that the "
                "tool's public key (or its key set URL) is registered in the LMS."
            )
        self._raise_for_status(response, url, "the access token")
        body = _json(response, url)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise LtiError(f"the LMS's token endpoint {url} sent no access_token: check the URL.")
        granted = set(str(body.get("scope", " ".join(wanted))).split())
        refused = sorted(wanted - granted)
        if refused:
            raise LtiError(
                "the LMS did not grant "
                + "; ".join(SCOPE_SETTING.get(s, s) for s in refused)
                + ": enable it for the QI Lab tool in the LMS."
            )
        self._tokens[wanted] = (token, time.time() + float(body.get("expires_in", 3600)))
        return token

    # -- service requests --------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        scopes: list[str],
        what: str,
        accept: str = "application/json",
        json_body: dict[str, Any] | None = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """One service call with a bearer token; a refusal or an LMS error raises LtiError."""
        headers = {"Authorization": f"Bearer {self.token(scopes)}", "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        data = None if json_body is None else json.dumps(json_body)
        response = self._send(method, url, headers=headers, data=data, params=params, what=what)
        if response.status_code in (401, 403):
            needed = "; ".join(SCOPE_SETTING.get(s, s) for s in scopes)
            raise LmsHttpError(
                f"the LMS refused {what} at {url} (HTTP {response.status_code}"
                f"{_detail(response)}): enable {needed} for the QI Lab tool in the LMS, and "
                f"check the tool's registration matches {self.config.source}. Nothing was "
                "changed in QI Lab.",
                response.status_code,
            )
        self._raise_for_status(response, url, what)
        return response

    def get_json(self, url: str, scopes: list[str], what: str, accept: str) -> Any:
        return _json(self.request("GET", url, scopes, what, accept=accept), url)

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.config.timeout, **kwargs)
        except requests.RequestException as exc:
            raise LtiError(
                f"cannot reach the LMS for {what} at {url} ({type(exc).__name__}): check the "
                f"address in {self.config.source} and the network. Nothing was changed in "
                "QI Lab."
            ) from None

    def _raise_for_status(self, response: requests.Response, url: str, what: str) -> None:
        if response.status_code >= 500:
            raise LmsHttpError(
                f"the LMS failed while sending {what} (HTTP {response.status_code} at {url}): "
                "it is the LMS's error, not QI Lab's — run the same command again later, or "
                "ask the LMS's administrator to check its error log. Nothing was changed in "
                "QI Lab.",
                response.status_code,
            )
        if response.status_code >= 400:
            raise LmsHttpError(
                f"the LMS rejected the request for {what} (HTTP {response.status_code} at "
                f"{url}{_detail(response)}): check the service URLs in {self.config.source}.",
                response.status_code,
                _detail(response),
            )


def next_page(response: requests.Response) -> str | None:
    """The ``rel="next"`` address of an LTI service's ``Link`` header (RFC 8288), if any."""
    for part in response.headers.get("Link", "").split(","):
        match = re.match(r"\s*<([^>]*)>\s*;(.*)", part)
        if match and re.search(r'rel\s*=\s*"?next"?', match.group(2)):
            return match.group(1)
    return None


def _json(response: requests.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise LtiError(
            f"the LMS answered {url} with something that is not JSON: check the URL points at "
            "the LTI service, not a web page."
        ) from None


def _oauth_error(response: requests.Response) -> str:
    """The OAuth 2 ``error`` code of a refusal (RFC 6749 §5.2), or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _detail(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f": {text[:200]}" if text else ""
