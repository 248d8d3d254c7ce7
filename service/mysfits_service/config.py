"""Runtime settings, read from environment variables in one place."""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_FILE = "data/mysfits.json"
DEFAULT_CACHE_SECONDS = 2.0
# A release may bake settings into the image: the pipeline's source bundle adds this file (the
# git checkout never holds it). Real environment variables win over what it says.
RELEASE_FILE = Path(__file__).with_name("release.json")


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


# A pool id is `{region}_{suffix}`, e.g. us-east-1_AbC123xyZ.
_POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$")
_COGNITO_ENV = (
    "MYSFITS_COGNITO_POOL_ID",
    "MYSFITS_COGNITO_REGION",
    "MYSFITS_COGNITO_CLIENT_ID",
    "MYSFITS_COGNITO_JWKS_URL",
)


@dataclass(frozen=True)
class CognitoSettings:
    """The user pool whose ID tokens like and adopt require (module 4 on)."""

    pool_id: str
    region: str
    # When set, a token's `aud` must be this app client; otherwise any client of the pool.
    client_id: str | None = None
    # Where to fetch the keys; the issuer stays AWS's URL (the local cloud serves the JWKS
    # on its own loopback address, but signs tokens as AWS would).
    jwks_url: str | None = None

    @property
    def issuer(self) -> str:
        """The `iss` claim of this pool's tokens."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_location(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"


@dataclass(frozen=True)
class Settings:
    """Everything the app factory needs to build the service."""

    # Relative paths resolve against the working directory (WORKDIR in the image).
    data_file: str = DEFAULT_DATA_FILE
    # Unset or empty selects the read-only file backend.
    table: str | None = None
    list_cache_seconds: float = DEFAULT_CACHE_SECONDS
    cors_allow_origins: tuple[str, ...] = ("*",)
    # Not read from the environment: lets tests force DynamoDB pagination.
    page_size: int | None = None
    # Sent as the X-Mysfits-Release header when set: which release answered.
    release: str | None = None
    # Unset: like and adopt are anonymous, as in modules 2 and 3.
    cognito: CognitoSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default: ``os.environ`` over the baked release settings)."""
        env = {**baked_environment(), **os.environ} if env is None else env
        return cls(
            data_file=env.get("MYSFITS_DATA_FILE") or DEFAULT_DATA_FILE,
            table=(env.get("MYSFITS_TABLE") or "").strip() or None,
            list_cache_seconds=_parse_seconds(env.get("MYSFITS_LIST_CACHE_SECONDS")),
            cors_allow_origins=_parse_origins(env.get("CORS_ALLOW_ORIGINS")),
            release=(env.get("MYSFITS_RELEASE") or "").strip() or None,
            cognito=parse_cognito(env),
        )


def baked_environment(path: Path | None = None) -> dict[str, str]:
    """The environment variables a release baked into the image; empty when it baked none."""
    path = RELEASE_FILE if path is None else path
    if not path.is_file():
        return {}
    try:
        baked = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{path.name} is not JSON: {exc}") from None
    if not isinstance(baked, dict) or not all(isinstance(v, str) for v in baked.values()):
        raise ConfigError(f"{path.name} must map variable names to strings")
    return {str(k): v for k, v in baked.items()}


def parse_cognito(env: Mapping[str, str]) -> CognitoSettings | None:
    """The pool settings, None when none is set; half a configuration is refused.

    A service meant to check tokens must not start without checking them, so a region, client
    or JWKS URL without a pool id (or a pool id without its region) is an error, not a default.
    """
    given = {name: (env.get(name) or "").strip() for name in _COGNITO_ENV}
    pool_id, region, client_id, jwks_url = given.values()
    if not any(given.values()):
        return None
    _check_pool(pool_id, region)
    if jwks_url and not jwks_url.startswith(("http://", "https://")):
        raise ConfigError(f"MYSFITS_COGNITO_JWKS_URL must be an http(s) URL, got {jwks_url!r}")
    return CognitoSettings(pool_id, region, client_id or None, jwks_url or None)


def _check_pool(pool_id: str, region: str) -> None:
    if not pool_id or not region:
        raise ConfigError(
            "set both MYSFITS_COGNITO_POOL_ID and MYSFITS_COGNITO_REGION to check sign-in "
            "tokens, or none of the MYSFITS_COGNITO_* variables to leave like and adopt open"
        )
    match = _POOL_ID.match(pool_id)
    if match is None or match.group("region") != region:
        raise ConfigError(
            f"MYSFITS_COGNITO_POOL_ID {pool_id!r} is not a user pool id of region {region!r} "
            "(a pool id looks like us-east-1_AbC123xyZ and starts with its region)"
        )


def _parse_seconds(raw: str | None) -> float:
    if raw is None or not raw.strip():
        return DEFAULT_CACHE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"MYSFITS_LIST_CACHE_SECONDS must be a number, got {raw!r}") from None
    if value != value:  # NaN would make every freshness comparison false
        raise ConfigError("MYSFITS_LIST_CACHE_SECONDS must be a number, got NaN")
    return max(value, 0.0)


def _parse_origins(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ("*",)
    origins = tuple(part.strip() for part in raw.split(",") if part.strip())
    return origins or ("*",)


def read_port(raw: str | None) -> int:
    """Parse the ``PORT`` variable (default 8080)."""
    if raw is None or not raw.strip():
        return 8080
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"PORT must be an integer, got {raw!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"PORT must be between 1 and 65535, got {port}")
    return port


def read_bind_address(raw: str | None) -> str:
    """Parse ``BIND_ADDRESS``: the IP address to listen on (default every interface).

    A container wants every interface (its network is its own); a plain process on a
    learner's machine should listen on loopback only, so whoever starts it sets this.
    """
    if raw is None or not raw.strip():
        return "0.0.0.0"
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        raise ConfigError(
            f"BIND_ADDRESS must be an IP address such as 127.0.0.1 or 0.0.0.0, got {raw!r}"
        ) from None
