"""A small LTI 1.3 platform (an LMS as QI Lab's LTI tool meets it), served on localhost.

There is no Moodle or Canvas here, so the tests run against this: a real HTTP server on a free
port, its own RSA key set served as a JWKS, signed launch id_tokens, and the LTI Advantage
services checked as a real LMS checks them:

- ``POST /token`` — OAuth 2 client credentials with a ``private_key_jwt`` assertion (RFC 7523,
  IMS Security Framework §4.1): the assertion's signature against the tool's registered public
  key, ``iss`` = ``sub`` = client id, ``aud`` = this endpoint, ``exp``, and a ``jti`` never
  seen before; scopes are granted only when enabled for the tool;
- ``GET /nrps/memberships`` — NRPS v2 membership, ``page_size`` members a page, with
  ``Link: <…>; rel="next"``;
- ``GET/POST /lineitems``, ``GET /lineitems/N``, ``POST /lineitems/N/scores`` — AGS v2, each
  checking the bearer token, its expiry and its scopes (401 without a good token, 403 without
  the scope), the media types, and the score's fields;
- a launch, as the LMS runs the OpenID Connect third-party-initiated login (IMS Security
  Framework §5.1.1, LTI Core §4.1): ``GET /course/link?user=ID`` is a person logged in to the
  LMS (an LMS session cookie) clicking the course's QI Lab link: the LMS sends their browser to
  the tool's login initiation URL with ``iss``, ``login_hint``, ``target_link_uri``,
  ``lti_message_hint``, ``client_id`` and ``lti_deployment_id``. The tool sends it back to
  ``GET|POST /auth`` (the authorization endpoint), which checks the OIDC authentication request
  (``scope=openid``, ``response_type=id_token``, ``response_mode=form_post``, ``prompt=none``,
  the client id, a registered ``redirect_uri``, the ``login_hint`` and ``lti_message_hint`` it
  issued for the person whose LMS session this is), signs an id_token carrying the tool's
  ``nonce``, and answers with a form that posts ``id_token`` and ``state`` to the
  ``redirect_uri`` by itself, as Moodle and Canvas do. ``next_launch`` changes the next
  id_token (another signing key, an expired one, another deployment) to test refusals.

``fail[path_prefix] = status`` makes the platform answer that status (a broken LMS).
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCOPES = {
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
}
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Platform:
    """The LMS's side; ``start()`` serves it, ``url`` is its issuer and base address."""

    client_id: str = "qilab-tool-7"
    deployments: set[str] = field(default_factory=lambda: {"dep-1"})
    page_size: int = 2
    allowed_scopes: set[str] = field(default_factory=lambda: set(SCOPES))
    members: list[dict[str, Any]] = field(default_factory=list)
    tool_public_key: Any = None
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "platform-key-1"
    lineitems: dict[int, dict[str, Any]] = field(default_factory=dict)
    scores: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    tokens: dict[str, tuple[set[str], float]] = field(default_factory=dict)
    jtis: set[str] = field(default_factory=set)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    token_lifetime: int = 3600
    #: The host name in the LMS's addresses: "localhost" makes it another site than a tool on
    #: 127.0.0.1, as a real LMS is (browsers then apply their cross-site cookie rules).
    host: str = "127.0.0.1"
    #: The tool's registration: its login initiation URL, redirect URIs and target link URI.
    tool_login_url: str = ""
    redirect_uris: set[str] = field(default_factory=set)
    target_link_uri: str = "https://qilab.academy.example/hub/"
    #: LMS session cookie → the user id logged in to the LMS with it; message hints issued.
    sessions: dict[str, str] = field(default_factory=dict)
    message_hints: dict[str, str] = field(default_factory=dict)
    #: ``launch_token`` arguments for the next launch only (e.g. ``{"expires_in": -60}``).
    next_launch: dict[str, Any] = field(default_factory=dict)
    #: Every id_token the authorization endpoint issued, as posted.
    launches: list[str] = field(default_factory=list)

    def start(self) -> Platform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                platform._handle(self, "GET")

            def do_POST(self) -> None:
                platform._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://{self.host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- what the LMS administrator copies into the tool's lti.yaml ----------------------------
    def tool_settings(self, key_path: str) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "client_id": self.client_id,
            "deployment_ids": sorted(self.deployments),
            "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
            "tool_private_key": key_path,
            "tool_key_id": "qilab-1",
            "context_memberships_url": f"{self.url}/nrps/memberships",
            "lineitems_url": f"{self.url}/lineitems?type_id=1",  # Moodle's form
        }

    # -- launches ---------------------------------------------------------------------------
    def launch_token(
        self,
        sub: str,
        roles: list[str] | None = None,
        deployment_id: str = "dep-1",
        nonce: str | None = None,
        expires_in: int = 300,
        signing_key: rsa.RSAPrivateKey | None = None,
        target_link_uri: str = "https://qilab.academy.example/hub/lti/launch",
        **extra: Any,
    ) -> str:
        """A signed LtiResourceLinkRequest id_token for user ``sub``, as the LMS posts it."""
        now = int(time.time())
        member = next((m for m in self.members if m["user_id"] == sub), {})
        claims = {
            "iss": self.url,
            "aud": self.client_id,
            "sub": sub,
            "iat": now if expires_in > 0 else now - 3600,
            "exp": now + expires_in,
            "nonce": nonce or secrets.token_hex(16),
            "email": member.get("email", ""),
            "name": member.get("name", ""),
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": deployment_id,
            LTI + "target_link_uri": target_link_uri,
            LTI + "resource_link": {"id": "rl-42", "title": "QI Lab"},
            LTI + "roles": roles if roles is not None else member.get("roles", [LEARNER]),
            LTI + "context": {"id": "course-9", "title": "QI Foundation 2025"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/nrps/memberships",
                "service_versions": ["2.0"],
            },
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": sorted(SCOPES - {NRPS}),
                "lineitems": f"{self.url}/lineitems?type_id=1",
            },
            **extra,
        }
        return jwt.encode(
            claims, signing_key or self.key, algorithm="RS256", headers={"kid": self.kid}
        )

    def register_tool(self, hub: str) -> None:
        """Register a JupyterHub at ``hub`` (its base address) as this tool, as IT does."""
        self.tool_login_url = f"{hub}/hub/lti13/oauth_login"
        self.redirect_uris = {f"{hub}/hub/lti13/oauth_callback"}
        self.target_link_uri = f"{hub}/hub"  # the hub's own default: the person's server

    def course_link(self, user_id: str) -> str:
        """The address a person logged in to the LMS as ``user_id`` opens to launch QI Lab."""
        return f"{self.url}/course/link?{urlencode({'user': user_id})}"

    def _login_initiation(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        """The course page's QI Lab link: log in to the LMS, go to the tool's login URL."""
        user = query.get("user", [""])[0]
        if not any(m["user_id"] == user for m in self.members):
            return 404, {}, {"error": f"no LMS user {user!r} in this course"}
        session = secrets.token_urlsafe(16)
        self.sessions[session] = user
        hint = secrets.token_urlsafe(16)  # opaque to the tool: which link was clicked
        self.message_hints[hint] = "rl-42"
        params = {
            "iss": self.url,
            "login_hint": user,
            "target_link_uri": self.target_link_uri,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": sorted(self.deployments)[0],
        }
        return (
            302,
            {
                "Location": f"{self.tool_login_url}?{urlencode(params)}",
                "Set-Cookie": f"lms_session={session}; Path=/; HttpOnly",
                "Content-Type": "text/plain",
            },
            b"",
        )

    def _authorize(self, params: dict[str, str], headers: Any) -> tuple[int, dict[str, str], Any]:
        """The OIDC authentication request (IMS Security Framework §5.1.1.2) and its answer."""
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id:
            return 400, {}, {"error": "unauthorized_client"}
        if redirect_uri not in self.redirect_uris:  # never post a token to an unknown address
            return 400, {}, {"error": "invalid_request", "error_description": "redirect_uri"}
        fixed = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
        }
        wrong = [k for k, v in fixed.items() if params.get(k) != v]
        wrong += [k for k in ("nonce", "state", "login_hint") if not params.get(k)]
        if wrong:
            return self._form_post(redirect_uri, {"error": "invalid_request", **_state(params)})
        cookies = dict(
            part.strip().split("=", 1)
            for part in headers.get("Cookie", "").split(";")
            if "=" in part
        )
        user = self.sessions.get(cookies.get("lms_session", ""))
        if user is None or user != params["login_hint"]:
            return self._form_post(redirect_uri, {"error": "login_required", **_state(params)})
        if params.get("lti_message_hint") not in self.message_hints:
            return self._form_post(redirect_uri, {"error": "invalid_request", **_state(params)})
        options = {"target_link_uri": self.target_link_uri, **self.next_launch}
        self.next_launch = {}
        token = self.launch_token(user, nonce=params["nonce"], **options)
        self.launches.append(token)
        return self._form_post(redirect_uri, {"id_token": token, "state": params["state"]})

    @staticmethod
    def _form_post(action: str, fields: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """OIDC's form_post response mode: a page that posts ``fields`` to ``action``."""
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        page = (
            "<!DOCTYPE html><html><head><title>Launching QI Lab</title></head>"
            f'<body><form id="launch" method="post" action="{html.escape(action)}">{inputs}'
            '<noscript><button type="submit">Continue</button></noscript></form>'
            '<script>document.getElementById("launch").submit();</script></body></html>'
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    # -- HTTP --------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        path, query = parts.path, parse_qs(parts.query)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        status, headers, payload = self._route(method, path, query, request.headers, body)
        self.log.append((method, request.path, status))
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        request.send_response(status)
        for name, value in {"Content-Length": str(len(data)), **headers}.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        for prefix, status in self.fail.items():
            if path.startswith(prefix):
                return status, {"Content-Type": "text/plain"}, b"Internal error (test)"
        if method == "GET" and path == "/jwks":
            jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
            jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
            return 200, {"Content-Type": "application/json"}, {"keys": [jwk]}
        if method == "POST" and path == "/token":
            return self._token(body)
        if method == "GET" and path == "/course/link":
            return self._login_initiation(query)
        if path == "/auth":
            form = parse_qs(body.decode()) if method == "POST" else query
            return self._authorize({k: v[0] for k, v in form.items()}, headers)
        if method == "GET" and path == "/nrps/memberships":
            return self._nrps(query, headers)
        if path == "/lineitems":
            return self._lineitems(method, query, headers, body)
        segments = path.strip("/").split("/")
        if segments[0] == "lineitems" and len(segments) >= 2 and segments[1].isdigit():
            number = int(segments[1])
            if number not in self.lineitems:
                return 404, {}, {"error": "no such line item"}
            if len(segments) == 2 and method == "GET":
                return self._authorised(headers, {LINEITEM, LINEITEM_READ}) or (
                    200,
                    {"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"},
                    self.lineitems[number],
                )
            if segments[2:] == ["scores"] and method == "POST":
                return self._score(number, headers, body)
        return 404, {}, {"error": f"no route {method} {path}"}

    def _token(self, body: bytes) -> tuple[int, dict[str, str], Any]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type"}
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return 400, {}, {"error": "invalid_request", "error_description": "assertion type"}
        try:
            claims = jwt.decode(
                form.get("client_assertion", ""),
                self.tool_public_key,
                algorithms=["RS256"],
                audience=f"{self.url}/token",
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidTokenError as exc:
            return 401, {}, {"error": "invalid_client", "error_description": str(exc)}
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            return 401, {}, {"error": "invalid_client", "error_description": "unknown client"}
        if claims["jti"] in self.jtis:
            return 401, {}, {"error": "invalid_client", "error_description": "jti replayed"}
        self.jtis.add(claims["jti"])
        granted = set(form.get("scope", "").split()) & self.allowed_scopes
        if not granted:
            return 400, {}, {"error": "invalid_scope"}
        token = uuid.uuid4().hex
        self.tokens[token] = (granted, time.time() + self.token_lifetime)
        return (
            200,
            {"Content-Type": "application/json"},
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "scope": " ".join(sorted(granted)),
            },
        )

    def _authorised(self, headers: Any, any_of: set[str]) -> tuple[int, dict[str, str], Any] | None:
        auth = headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        granted = self.tokens.get(token)
        if granted is None or granted[1] < time.time():
            return 401, {"WWW-Authenticate": "Bearer"}, {"error": "invalid_token"}
        if not granted[0] & any_of:
            return 403, {}, {"error": "insufficient_scope"}
        return None

    def _nrps(self, query: dict[str, list[str]], headers: Any) -> tuple[int, dict[str, str], Any]:
        refused = self._authorised(headers, {NRPS})
        if refused:
            return refused
        media = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
        if media not in headers.get("Accept", ""):
            return 406, {}, {"error": "Accept must name the NRPS media type"}
        page = int(query.get("page", ["1"])[0])
        start = (page - 1) * self.page_size
        chunk = self.members[start : start + self.page_size]
        out = {"Content-Type": media}
        if start + self.page_size < len(self.members):
            out["Link"] = f'<{self.url}/nrps/memberships?page={page + 1}>; rel="next"'
        container = {
            "id": f"{self.url}/nrps/memberships",
            "context": {"id": "course-9", "title": "QI Foundation 2025"},
            "members": chunk,
        }
        return 200, out, container

    def _lineitems(
        self, method: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        if method == "GET":
            refused = self._authorised(headers, {LINEITEM, LINEITEM_READ})
            if refused:
                return refused
            items = list(self.lineitems.values())
            for param, key in (("resource_id", "resourceId"), ("tag", "tag")):
                if param in query:
                    items = [i for i in items if i.get(key) == query[param][0]]
            page = int(query.get("page", ["1"])[0])
            start = (page - 1) * self.page_size
            out = {"Content-Type": "application/vnd.ims.lis.v2.lineitemcontainer+json"}
            if start + self.page_size < len(items):
                rest = {k: v[0] for k, v in query.items() if k != "page"}
                link = f"{self.url}/lineitems?{urlencode({**rest, 'page': page + 1})}"
                out["Link"] = f'<{link}>; rel="next"'
            return 200, out, items[start : start + self.page_size]
        refused = self._authorised(headers, {LINEITEM})
        if refused:
            return refused
        if headers.get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json":
            return 415, {}, {"error": "line items are application/vnd.ims.lis.v2.lineitem+json"}
        item = json.loads(body)
        if not isinstance(item.get("scoreMaximum"), int | float) or item["scoreMaximum"] <= 0:
            return 400, {}, {"error": "scoreMaximum must be a positive number"}
        if not item.get("label"):
            return 400, {}, {"error": "label is required"}
        number = len(self.lineitems) + 1
        item["id"] = f"{self.url}/lineitems/{number}?type_id=1"
        self.lineitems[number] = item
        return 201, {"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}, item

    def _score(self, number: int, headers: Any, body: bytes) -> tuple[int, dict[str, str], Any]:
        refused = self._authorised(headers, {SCORE})
        if refused:
            return refused
        if headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
            return 415, {}, {"error": "scores are application/vnd.ims.lis.v1.score+json"}
        score = json.loads(body)
        if score.get("userId") not in {m["user_id"] for m in self.members}:
            return 400, {}, {"error": f"userId {score.get('userId')!r} is not in this course"}
        if score.get("activityProgress") not in (
            "Initialized",
            "Started",
            "InProgress",
            "Submitted",
            "Completed",
        ):
            return 400, {}, {"error": "activityProgress"}
        if score.get("gradingProgress") not in (
            "FullyGraded",
            "Pending",
            "PendingManual",
            "Failed",
            "NotReady",
        ):
            return 400, {}, {"error": "gradingProgress"}
        if "scoreGiven" in score and "scoreMaximum" not in score:
            return 400, {}, {"error": "scoreMaximum is required with scoreGiven"}
        stamp = datetime.fromisoformat(score["timestamp"])
        if stamp.tzinfo is None:
            return 400, {}, {"error": "timestamp needs a time zone"}
        for earlier_number, earlier in self.scores:
            same = earlier_number == number and earlier["userId"] == score["userId"]
            if same and datetime.fromisoformat(earlier["timestamp"]) > stamp:
                return 409, {}, {"error": "a newer score exists"}
        self.scores.append((number, score))
        return 204, {}, b""


def _state(params: dict[str, str]) -> dict[str, str]:
    return {"state": params["state"]} if params.get("state") else {}


def link_course(root: Any, platform: Platform) -> Any:
    """Register QI Lab as a tool in ``platform`` for the course folder ``root``, as IT would:
    make the tool's key, give the platform its public half, write the course's lti.yaml."""
    from pathlib import Path

    import yaml
    from cryptography.hazmat.primitives import serialization
    from qilab.grading.lti import load_config
    from qilab.grading.lti.keys import make_tool_key

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    public_pem, _ = make_tool_key(root / "lti" / "tool-private.pem")
    platform.tool_public_key = serialization.load_pem_public_key(public_pem.encode())
    settings = platform.tool_settings("lti/tool-private.pem")
    (root / "lti.yaml").write_text(yaml.safe_dump(settings))
    return load_config(root)


def member(user_id: str, name: str, email: str, role: str = LEARNER, **extra: Any) -> dict:
    """One NRPS member as Moodle and Canvas send them."""
    given, _, family = name.rpartition(" ")
    return {
        "status": "Active",
        "name": name,
        "given_name": given,
        "family_name": family,
        "email": email,
        "user_id": user_id,
        "roles": [role],
        **extra,
    }
