"""Checking a Cognito ID token, as API Gateway's COGNITO_USER_POOLS authorizer does.

Defence in depth: API Gateway checks the token before the request reaches the service, but a
request that reaches the service another way (a misconfigured route, the load balancer's own
address) must not change likes or adoptions either. The checks follow AWS's guidance for
verifying a user-pool JWT: an RS256 signature by one of the pool's keys (its JWKS), `iss` the
pool, `exp` in the future, `token_use` "id" (an access token is refused), and `aud` the app
client when one is configured.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from .config import CognitoSettings
from .errors import BackendUnavailable, Unauthorized

log = logging.getLogger(__name__)

JWKS_TIMEOUT_SECONDS = 3.0
# A token naming a key we do not hold makes us fetch the JWKS again (the pool may have rotated
# its keys), but at most this often: otherwise made-up key ids would turn every forged request
# into a request to Cognito.
REFETCH_INTERVAL_SECONDS = 60.0
REQUIRED_CLAIMS = ("exp", "iat", "iss", "sub", "token_use")

Fetch = Callable[[str, float], bytes]


def fetch_url(url: str, timeout: float) -> bytes:
    """GET `url` (the JWKS document); raises OSError on any failure."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (config URL)
        return bytes(response.read())


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a valid token says is calling."""

    sub: str
    claims: Mapping[str, Any]


class Jwks:
    """The pool's public keys by kid: fetched on first use, cached, refetched on a new kid."""

    def __init__(
        self,
        url: str,
        fetch: Fetch = fetch_url,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None

    def key(self, kid: str) -> Any:
        """The public key named `kid`; raises Unauthorized if the pool has no such key."""
        found = self._keys.get(kid)
        if found is not None:
            return found
        with self._lock:
            if kid not in self._keys and self._may_fetch():
                self._keys = self._load()
        found = self._keys.get(kid)
        if found is None:
            raise Unauthorized("The sign-in token was not signed by this user pool.")
        return found

    def _may_fetch(self) -> bool:
        last = self._fetched_at
        return last is None or self._clock() - last >= REFETCH_INTERVAL_SECONDS

    def _load(self) -> dict[str, Any]:
        try:
            document = json.loads(self._fetch(self.url, JWKS_TIMEOUT_SECONDS))
            keys = {
                str(jwk["kid"]): RSAAlgorithm.from_jwk(jwk)
                for jwk in document["keys"]
                if jwk.get("kty") == "RSA" and jwk.get("kid")
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Not the caller's fault: say so with a 503, and try again on the next request.
            log.error("cannot read the user pool's keys from %s: %s", self.url, exc)
            raise BackendUnavailable(
                "Sign-in tokens cannot be checked right now. Please retry shortly."
            ) from None
        self._fetched_at = self._clock()
        log.info("read %d signing keys from %s", len(keys), self.url)
        return keys


class TokenVerifier:
    """Turns an `Authorization` header into a Caller, or raises Unauthorized saying why."""

    def __init__(self, settings: CognitoSettings, jwks: Jwks | None = None) -> None:
        self.settings = settings
        self.jwks = jwks if jwks is not None else Jwks(settings.jwks_location)

    def verify(self, authorization: str | None) -> Caller:
        token = _token_from_header(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("The sign-in token is not a JWT.") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Unauthorized("The sign-in token is not signed RS256 by a user pool key.")
        claims = self._decode(token, self.jwks.key(header["kid"]))
        if claims.get("token_use") != "id":
            raise Unauthorized("Send the ID token, not the access token.")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("The sign-in token names no user.")
        return Caller(sub, claims)

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        client_id = self.settings.client_id
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.settings.issuer,
                audience=client_id,
                options={"require": list(REQUIRED_CLAIMS), "verify_aud": client_id is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The sign-in token has expired: sign in again.") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("The sign-in token is from another user pool.") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized("The sign-in token is for another app client.") from None
        except jwt.PyJWTError:
            raise Unauthorized("The sign-in token is not valid.") from None


def _token_from_header(authorization: str | None) -> str:
    """The token itself: Cognito authorizers take it bare; a `Bearer ` prefix is accepted too."""
    value = (authorization or "").strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if not value:
        raise Unauthorized("Sign in first: this request needs an Authorization header.")
    return value


class Identity:
    """Who calls, as each route needs it; without a pool every caller is anonymous (None)."""

    def __init__(self, verifier: TokenVerifier | None) -> None:
        self.verifier = verifier

    @property
    def enforced(self) -> bool:
        return self.verifier is not None

    def required(self, authorization: str | None) -> str | None:
        """The caller's `sub` for a write; raises Unauthorized (None: no pool configured)."""
        if self.verifier is None:
            return None
        return self.verifier.verify(authorization).sub

    def optional(self, authorization: str | None) -> str | None:
        """The caller's `sub` for a read, or None.

        Reads are public (API Gateway does not check tokens on them either), so a stale or
        bad token makes the caller anonymous rather than failing the page.
        """
        if self.verifier is None or not authorization:
            return None
        try:
            return self.verifier.verify(authorization).sub
        except (Unauthorized, BackendUnavailable):
            return None


def identity_for(settings: CognitoSettings | None) -> Identity:
    return Identity(TokenVerifier(settings) if settings is not None else None)
