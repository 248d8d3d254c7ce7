"""Cognito-shaped tokens for the service tests: a pool's key pair, its JWKS, and a signer.

Tokens are built as Cognito builds them (header `{kid, alg: RS256}`, claims `sub`, `iss`,
`token_use`, `aud` or `client_id`, `iat`, `exp`), so a test can change one thing at a time.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

REGION = "us-east-1"
POOL_ID = "us-east-1_TestPool1"
OTHER_POOL_ID = "us-east-1_OtherPool"
CLIENT_ID = "testclient0123456789abcdef"
JWKS_URL = "http://jwks.invalid/keys.json"


def issuer(pool_id: str = POOL_ID) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


@dataclass
class PoolKey:
    """One RSA key pair with its kid."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    private: Any = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {"kid": self.kid, "alg": "RS256", "kty": "RSA", "use": "sig", **public}


def jwks(*keys: PoolKey) -> bytes:
    return json.dumps({"keys": [key.jwk() for key in keys]}).encode()


def claims(token_use: str = "id", lifetime: int = 3600, **overrides: Any) -> dict[str, Any]:
    """The claims of a Cognito token of this test pool, issued now (an override of None drops
    that claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "iss": issuer(),
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + lifetime,
    }
    if token_use == "id":
        base.update({"aud": CLIENT_ID, "email": "learner@example.com", "email_verified": True})
    else:
        base.update({"client_id": CLIENT_ID, "scope": "aws.cognito.signin.user.admin"})
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: PoolKey, body: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(body, key.private, algorithm="RS256", headers={"kid": kid or key.kid})


def unsigned(body: dict[str, Any], kid: str) -> str:
    """An `alg: none` token: header and payload, empty signature."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': kid})}.{part(body)}."


def tampered(token: str, **changes: Any) -> str:
    """`token` with claims changed but the original signature kept."""
    header, payload, signature = token.split(".")
    padded = payload + "=" * (-len(payload) % 4)
    body = {**json.loads(base64.urlsafe_b64decode(padded)), **changes}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return f"{header}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


class FakeJwksEndpoint:
    """Stands in for the pool's JWKS URL: serves `document`, counts fetches, can fail."""

    def __init__(self, document: bytes) -> None:
        self.document = document
        self.fetches: list[str] = []
        self.failure: Exception | None = None

    def __call__(self, url: str, timeout: float) -> bytes:
        assert 0 < timeout <= 10, "the fetch must have a timeout"
        self.fetches.append(url)
        if self.failure is not None:
            raise self.failure
        return self.document
