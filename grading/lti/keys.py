"""The tool's own RSA key pair: the private half signs QI Lab's requests to the LMS.

The LMS administrator pastes the public half into the tool's registration (Moodle: *Public key
type: RSA key*, the PEM; Canvas developer key: *Public JWK*, the JSON). The private key never
leaves the course folder, and is written readable by its owner only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .config import LtiError


def make_tool_key(path: Path, kid: str = "qilab-1") -> tuple[str, str]:
    """Write a new 2048-bit RSA private key to ``path``; return (public PEM, public JWK JSON).

    An existing key is never overwritten (the LMS would stop trusting QI Lab): its public
    halves are returned instead.
    """
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError:
            raise LtiError(
                f"{path} is not a PEM private key: move it away and run again."
            ) from None
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise LtiError(f"{path} is not an RSA key: LTI 1.3 signs with RS256.")
    public = key.public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    jwk = json.loads(RSAAlgorithm.to_jwk(public))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return public_pem, json.dumps(jwk, indent=2)
