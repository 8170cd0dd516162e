"""LTI 1.3 launches checked as the spec requires, against a real test platform on localhost.

Each refusal — a forged signature, an expired token, an unknown deployment, a replayed nonce —
is an attack or a misconfiguration a real LMS link meets; each must be refused with one log
line naming the reason, and a good launch must say who arrived.
"""

from __future__ import annotations

import logging

import jwt
import pytest
from lti_platform import INSTRUCTOR, Platform, link_course, member, new_key
from qilab.grading.lti import LtiError
from qilab.grading.lti.launch import LaunchRefused, NonceStore, validate_launch
from qilab.grading.lti.nrps import USERS_FILE


@pytest.fixture(scope="module")
def platform():
    lms = Platform()
    lms.members = [
        member("u-101", "Aisha Khan", "aisha.khan@nhs.example"),
        member("u-900", "Tom Tutor", "tom.tutor@nhs.example", role=INSTRUCTOR),
    ]
    lms.start()
    yield lms
    lms.stop()


@pytest.fixture
def linked(tmp_path, platform):
    config = link_course(tmp_path / "cohort", platform)
    return config, NonceStore.for_course(tmp_path / "cohort")


def refused(caplog, token, config, nonces) -> LaunchRefused:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qilab.lti"), pytest.raises(LaunchRefused) as err:
        validate_launch(token, config, nonces)
    lines = [r.getMessage() for r in caplog.records if r.name == "qilab.lti"]
    assert lines == [str(err.value)], lines  # exactly one log line, the same words
    return err.value


def test_a_good_launch_says_who_arrived_and_the_course_services(linked, platform, tmp_path):
    config, nonces = linked
    (tmp_path / "cohort" / "lti" / USERS_FILE).write_text('{"u-101": "d001"}')
    identity = validate_launch(
        platform.launch_token("u-101"), config, nonces, course_root=tmp_path / "cohort"
    )
    assert identity.user_id == "u-101" and identity.learner_id == "d001"
    assert identity.email == "aisha.khan@nhs.example" and identity.name == "Aisha Khan"
    assert identity.is_learner and not identity.is_instructor
    assert identity.deployment_id == "dep-1" and identity.context_id == "course-9"
    assert identity.services == {
        "context_memberships_url": f"{platform.url}/nrps/memberships",
        "lineitems_url": f"{platform.url}/lineitems?type_id=1",
    }
    tutor = validate_launch(platform.launch_token("u-900"), config, nonces)
    assert tutor.is_instructor and not tutor.is_learner and tutor.learner_id is None


def test_a_token_signed_by_another_key_is_refused_as_a_bad_signature(linked, platform, caplog):
    config, nonces = linked
    forged = platform.launch_token("u-101", signing_key=new_key())  # same kid, attacker's key
    error = refused(caplog, forged, config, nonces)
    assert error.reason == "bad signature"
    assert str(error).startswith("LTI launch refused: bad signature: ")


def test_a_tampered_payload_is_refused_as_a_bad_signature(linked, platform, caplog):
    config, nonces = linked
    header, payload, signature = platform.launch_token("u-101").split(".")
    claims = jwt.decode(platform.launch_token("u-900"), options={"verify_signature": False})
    other = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    assert other != payload
    error = refused(caplog, f"{header}.{other}.{signature}", config, nonces)  # u-900's claims
    assert error.reason == "bad signature"


def test_a_key_the_platform_never_published_is_a_bad_signature(linked, platform, caplog):
    config, nonces = linked
    token = jwt.encode(
        jwt.decode(platform.launch_token("u-101"), options={"verify_signature": False}),
        new_key(),
        algorithm="RS256",
        headers={"kid": "not-the-platforms"},
    )
    assert refused(caplog, token, config, nonces).reason == "bad signature"


def test_an_expired_token_is_refused(linked, platform, caplog):
    config, nonces = linked
    error = refused(caplog, platform.launch_token("u-101", expires_in=-600), config, nonces)
    assert error.reason == "expired token" and "expired token" in str(error)


def test_an_unknown_deployment_is_refused_and_names_the_config(linked, platform, caplog):
    config, nonces = linked
    token = platform.launch_token("u-101", deployment_id="dep-999")
    error = refused(caplog, token, config, nonces)
    assert error.reason == "unknown deployment"
    assert "'dep-999'" in str(error) and "lti.yaml" in str(error)


def test_a_replayed_nonce_is_refused_even_by_another_process(linked, platform, caplog, tmp_path):
    config, nonces = linked
    token = platform.launch_token("u-101")
    validate_launch(token, config, nonces)
    assert refused(caplog, token, config, nonces).reason == "replayed nonce"
    # a second hub process reads the same course folder's record
    again = NonceStore.for_course(tmp_path / "cohort")
    assert refused(caplog, token, config, again).reason == "replayed nonce"
    # a fresh launch with its own nonce is fine
    assert validate_launch(platform.launch_token("u-101"), config, nonces).user_id == "u-101"


def test_a_refused_launch_does_not_use_up_its_nonce(linked, platform, caplog):
    config, nonces = linked
    bad = platform.launch_token("u-101", deployment_id="dep-999", nonce="n-1")
    assert refused(caplog, bad, config, nonces).reason == "unknown deployment"
    assert validate_launch(platform.launch_token("u-101", nonce="n-1"), config, nonces)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "someone-else"}, "wrong audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"}, "not an LTI 1.3 launch"),
        (
            {"https://purl.imsglobal.org/spec/lti/claim/message_type": "Other"},
            "not an LTI 1.3 launch",
        ),
    ],
)
def test_tokens_for_another_tool_or_platform_are_refused(linked, platform, caplog, claims, reason):
    config, nonces = linked
    assert refused(caplog, platform.launch_token("u-101", **claims), config, nonces).reason == (
        reason
    )


def test_an_unreachable_key_set_is_one_clear_error(linked, platform, tmp_path):
    from dataclasses import replace

    from qilab.ports import free_port

    config, nonces = linked
    broken = replace(config, key_set_url=f"http://127.0.0.1:{free_port()}/jwks")
    with pytest.raises(LtiError, match=r"cannot fetch the LMS's key set .*key_set_url"):
        validate_launch(platform.launch_token("u-101"), broken, nonces)


def test_the_tool_key_is_private_and_never_replaced(tmp_path):
    import json
    import stat

    from qilab.grading.lti.keys import make_tool_key

    path = tmp_path / "lti" / "tool-private.pem"
    pem, jwk = make_tool_key(path, kid="qilab-7")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and "PRIVATE" not in pem + jwk
    key = json.loads(jwk)
    assert key["kid"] == "qilab-7" and key["alg"] == "RS256" and "d" not in key
    before = path.read_bytes()
    assert make_tool_key(path, kid="qilab-7") == (pem, jwk)  # the same key, not a new one
    assert path.read_bytes() == before


def test_a_course_not_linked_or_half_configured_says_what_to_add(tmp_path):
    import yaml
    from qilab.grading.lti import load_config
    from qilab.grading.lti.config import EXAMPLE

    with pytest.raises(LtiError, match=r"lti.yaml does not exist.*grading/README.md") as err:
        load_config(tmp_path)
    assert "\n" not in str(err.value)
    (tmp_path / "lti.yaml").write_text("issuer: https://moodle.example\nclient_id: x\n")
    with pytest.raises(LtiError, match="lacks deployment_ids, key_set_url, auth_token_url"):
        load_config(tmp_path)
    (tmp_path / "lti.yaml").write_text(EXAMPLE + "clientid: typo\n")
    with pytest.raises(LtiError, match="unknown keys clientid"):
        load_config(tmp_path)
    (tmp_path / "lti.yaml").write_text(EXAMPLE)
    config = load_config(tmp_path)
    assert config.deployment_ids == ("1",) and config.learner_id == "user_id"
    assert config.tool_private_key == tmp_path.resolve() / "lti" / "tool-private.pem"
    assert yaml.safe_load(EXAMPLE)["client_id"] == config.client_id


def _forge(claims: dict, header: dict, sign) -> str:
    import json as _json

    from jwt.utils import base64url_encode

    def part(value: dict) -> str:
        return base64url_encode(_json.dumps(value).encode()).decode()

    body = f"{part(header)}.{part(claims)}"
    return f"{body}.{base64url_encode(sign(body.encode())).decode()}"


def test_classic_jwt_forgeries_are_refused(linked, platform, caplog):
    """alg=none, and HS256 'signed' with the platform's public key (algorithm confusion)."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    config, nonces = linked
    claims = jwt.decode(platform.launch_token("u-101"), options={"verify_signature": False})
    unsigned = _forge(claims, {"alg": "none", "kid": platform.kid}, lambda body: b"")
    public = platform.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = _forge(
        {**claims, "nonce": "n-2"},
        {"alg": "HS256", "kid": platform.kid, "typ": "JWT"},
        lambda body: hmac.new(public, body, hashlib.sha256).digest(),
    )
    for token in (unsigned, confused):
        error = refused(caplog, token, config, nonces)
        assert error.reason == "bad signature" and "not signed with RS256" in str(error)
    # neither used up the real launch's nonce
    assert validate_launch(platform.launch_token("u-101", nonce=claims["nonce"]), config, nonces)
