"""A pool's password policy, judged as Cognito judges it, with Cognito's messages.

AWS answers InvalidPasswordException "Password did not conform with policy: <reason>" where the
reason names the first rule broken ("Password not long enough", "Password must have uppercase
characters", ... lowercase, numeric, symbol). moto answers one fixed sentence ("does not confirm
to the configured password policy") whatever the rule, so a learner cannot tell what to change.
The order of the rules after length is not documented; this one is observed in client code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# AWS's special characters; the space counts as one too.
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
# The documented defaults (console, CDK, Config): what a pool without a policy is held to.
DEFAULT_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}
_RULES: tuple[tuple[str, str, Any], ...] = (
    ("RequireUppercase", "uppercase", re.compile(r"[A-Z]").search),
    ("RequireLowercase", "lowercase", re.compile(r"[a-z]").search),
    ("RequireNumbers", "numeric", re.compile(r"[0-9]").search),
    ("RequireSymbols", "symbol", lambda p: any(c in SYMBOLS for c in p)),
)


def violation(policy: Mapping[str, Any] | None, password: str) -> str | None:
    """AWS's message for the first rule `password` breaks, or None when it conforms."""
    policy = {**DEFAULT_POLICY, **(policy or {})}
    if len(password) < int(policy["MinimumLength"]):
        return "Password did not conform with policy: Password not long enough"
    for setting, kind, present in _RULES:
        if policy.get(setting) and not present(password):
            return f"Password did not conform with policy: Password must have {kind} characters"
    return None
