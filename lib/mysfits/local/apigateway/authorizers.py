"""The COGNITO_USER_POOLS authorizer: a token verified as API Gateway verifies it, and its cache.

AWS: the token is the whole value of the identity source's header (no `Bearer ` prefix is
stripped here; whether AWS strips one is unconfirmed). It must be a JWT signed RS256 by a key
in the JWKS of one of the authorizer's pools, with `iss` that pool's issuer and `exp` in the
future. Without authorization scopes on the method an ID token is required (`token_use: id`);
with scopes, an access token carrying one of them. `identityValidationExpression`, when set, is
matched against `aud`. Anything else, a missing header included, is `401 Unauthorized`.
A successful decision is cached per token for `authorizerResultTtlInSeconds` (0: no cache),
but never past the token's own expiry.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from .deployments import Authorizer

JwksLookup = Callable[[str], dict[str, Any] | None]  # pool id -> its JWKS document
CACHE_SIZE = 10_000


class Unauthorized(Exception):
    """The token does not pass; the reason is for the log, the client sees `Unauthorized`."""


@dataclass(frozen=True)
class Pool:
    """A user pool named by an authorizer's provider ARN."""

    id: str
    issuer: str


def pool_of(provider_arn: str) -> Pool:
    """`arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}` -> the pool and its issuer."""
    parts = provider_arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("userpool/"):
        raise Unauthorized(f"not a user pool ARN: {provider_arn}")
    pool_id = parts[5].split("/", 1)[1]
    return Pool(pool_id, f"https://cognito-idp.{parts[3]}.amazonaws.com/{pool_id}")


def _signing_key(token: str, pools: list[Pool], jwks: JwksLookup) -> tuple[Any, Pool]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise Unauthorized(f"not a JWT: {error}") from None
    if header.get("alg") != "RS256":
        raise Unauthorized(f"alg {header.get('alg')!r} is not RS256")
    pool = next((p for p in pools if p.issuer == claims.get("iss")), None)
    if pool is None:
        raise Unauthorized(f"issuer {claims.get('iss')!r} is none of the authorizer's pools")
    document = jwks(pool.id) or {"keys": []}
    key = next((k for k in document["keys"] if k.get("kid") == header.get("kid")), None)
    if key is None:
        raise Unauthorized(f"kid {header.get('kid')!r} is not in {pool.id}'s JWKS")
    return jwt.PyJWK(key).key, pool


def verify(
    token: str, authorizer: Authorizer, scopes: tuple[str, ...], jwks: JwksLookup, now: float
) -> dict[str, Any]:
    """The token's claims when it passes `authorizer` for a method with `scopes`."""
    if not token:
        raise Unauthorized("no token")
    pools = [pool_of(arn) for arn in authorizer.provider_arns]
    key, pool = _signing_key(token, pools, jwks)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=pool.issuer,
            options={"verify_aud": False, "require": ["exp", "iss", "token_use"]},
            leeway=0,
        )
    except jwt.PyJWTError as error:
        raise Unauthorized(str(error)) from None
    if claims["exp"] <= now:
        raise Unauthorized("expired")
    _check_use(claims, scopes)
    expression = authorizer.validation_expression
    if expression and not re.fullmatch(expression, str(claims.get("aud", ""))):
        raise Unauthorized("aud does not match identityValidationExpression")
    return claims


def _check_use(claims: dict[str, Any], scopes: tuple[str, ...]) -> None:
    if not scopes:
        if claims.get("token_use") != "id":
            raise Unauthorized("a method without scopes takes an ID token")
        return
    if claims.get("token_use") != "access":
        raise Unauthorized("a method with scopes takes an access token")
    granted = set(str(claims.get("scope", "")).split())
    if not granted & set(scopes):
        raise Unauthorized("the token carries none of the method's scopes")


class DecisionCache:
    """Passed tokens per authorizer, until the TTL (or the token) expires; least recent out."""

    def __init__(self, clock: Callable[[], float] = time.time, size: int = CACHE_SIZE):
        self._clock = clock
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, tuple[str, ...]], tuple[float, dict[str, Any]]]
        self._entries = OrderedDict()

    def authorize(
        self, token: str, authorizer: Authorizer, scopes: tuple[str, ...], jwks: JwksLookup
    ) -> dict[str, Any]:
        """The claims of a token that passes (from the cache when it passed before)."""
        now = self._clock()
        key = (authorizer.id, token, scopes)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and cached[0] > now:
                self._entries.move_to_end(key)
                return cached[1]
        claims = verify(token, authorizer, scopes, jwks, now)
        if authorizer.ttl_seconds > 0:
            until = min(now + authorizer.ttl_seconds, float(claims["exp"]))
            with self._lock:
                self._entries[key] = (until, claims)
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return claims
