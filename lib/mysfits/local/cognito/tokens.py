"""ID and access tokens shaped as Cognito issues them, signed with the pool's own key.

AWS behaviours restored (moto 5.2.5 differs on each):
- the lifetime is the app client's `IdTokenValidity` / `AccessTokenValidity` in its
  `TokenValidityUnits` (default one hour), and `ExpiresIn` says so; moto always gives 3600 s;
- the ID token carries the user's attributes: `email` and `email_verified` (a JSON boolean),
  `phone_number_verified` likewise; moto left `email_verified` out;
- every token has an `event_id`; the header is `{kid, alg: RS256}` naming the pool's key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# (validity setting, its key in TokenValidityUnits, AWS's default unit)
_VALIDITY = {
    "id": ("IdTokenValidity", "IdToken", "hours"),
    "access": ("AccessTokenValidity", "AccessToken", "hours"),
}
_BOOLEAN_ATTRIBUTES = ("email_verified", "phone_number_verified")
# Claims the pool sets itself; a user attribute of the same name never overrides them.
_RESERVED = {"sub", "iss", "aud", "token_use", "iat", "exp", "auth_time", "jti", "cognito:username"}


def lifetime_seconds(client_config: Mapping[str, Any], token_use: str) -> int:
    """The token's lifetime from the app client's settings (one hour when none is set)."""
    setting, unit_key, default_unit = _VALIDITY[token_use]
    value = client_config.get(setting)
    if not value:
        return 3600
    unit = (client_config.get("TokenValidityUnits") or {}).get(unit_key) or default_unit
    return int(value) * _UNIT_SECONDS[unit]


def attribute_claims(attributes: list[dict[str, str]]) -> dict[str, Any]:
    """The user's attributes as ID-token claims (verification flags as booleans)."""
    claims: dict[str, Any] = {}
    for attribute in attributes:
        name, value = attribute["Name"], attribute["Value"]
        if name in _RESERVED:
            continue
        claims[name] = value.lower() == "true" if name in _BOOLEAN_ATTRIBUTES else value
    return claims


def claims(
    base: dict[str, Any], token_use: str, lifetime: int, attributes: list[dict[str, str]]
) -> dict[str, Any]:
    """`base` (moto's claims) made AWS-shaped: lifetime, event_id, the ID token's attributes."""
    shaped = dict(base)
    if token_use == "id":
        shaped.update(attribute_claims(attributes))
    shaped["exp"] = int(shaped["iat"]) + lifetime
    shaped.setdefault("event_id", str(uuid.uuid4()))
    return shaped
