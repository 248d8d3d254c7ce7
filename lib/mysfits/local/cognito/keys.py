"""Each user pool's own signing keys and the JWKS document that publishes them.

AWS: every pool has its own RSA key pair(s); tokens are signed RS256 and name the key in the
header's `kid`; `https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`
lists two keys `{kid, alg: RS256, kty: RSA, e, n, use: sig}`. moto signs every pool's tokens
with one key shipped in its source, under `kid: "dummy"`, so a token from one pool verifies
against any other pool's keys and a verifier that forgot to check `iss` would pass locally.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEYS_PER_POOL = 2  # AWS publishes two; it signs with one and keeps the other for rotation


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64): a stable kid shaped like Cognito's."""
    canonical = json.dumps({k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    return base64.b64encode(hashlib.sha256(canonical.encode()).digest()).decode()


class PoolKeys:
    """A pool's key pairs; the first signs."""

    def __init__(self) -> None:
        self._private = [
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for _ in range(KEYS_PER_POOL)
        ]
        self._public = []
        for key in self._private:
            public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            self._public.append(
                {
                    "alg": "RS256",
                    "e": public["e"],
                    "kid": _thumbprint(public),
                    "kty": "RSA",
                    "n": public["n"],
                    "use": "sig",
                }
            )

    @property
    def signing_kid(self) -> str:
        return str(self._public[0]["kid"])

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(key) for key in self._public]}

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT whose header is `{kid, alg}` only, as Cognito's are (no `typ`)."""
        return jwt.encode(
            claims,
            self._private[0],
            algorithm="RS256",
            headers={"kid": self.signing_kid, "typ": None},
        )


class KeyRing:
    """The keys of every pool in one account and region, made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, PoolKeys] = {}

    def of(self, pool_id: str) -> PoolKeys:
        with self._lock:
            if pool_id not in self._pools:
                self._pools[pool_id] = PoolKeys()
            return self._pools[pool_id]

    def forget(self, pool_id: str) -> None:
        with self._lock:
            self._pools.pop(pool_id, None)
