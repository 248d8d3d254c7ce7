"""S3 bucket policies as AWS judges them: well-formedness, "public", anonymous access.

AWS behaviours restored (see docs/local-cloud.md):
- PutBucketPolicy refuses malformed documents with 400 MalformedPolicy;
- a policy is public unless every Allow is limited to fixed principals or conditions;
- anonymous callers get only what an Allow grants to "*" and no Deny takes away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

Decision = Literal["allow", "deny", "implicit-deny"]

_EFFECTS = {"Allow", "Deny"}
# Condition keys that, with fixed values, make a grant non-public (AWS "public" rules).
_NARROWING_KEYS = {
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
}


class MalformedPolicy(ValueError):
    """The policy document is not one AWS would store; the message is AWS's."""


@dataclass(frozen=True)
class Statement:
    """One policy statement, normalised to lists."""

    effect: str
    principals: tuple[str, ...]
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    condition: dict[str, Any]

    def covers(self, action: str, resource: str) -> bool:
        """Whether this statement's action and resource patterns match."""
        if self.actions and not _any_match(self.actions, action, fold=True):
            return False
        if self.not_actions and _any_match(self.not_actions, action, fold=True):
            return False
        if self.resources and not _any_match(self.resources, resource):
            return False
        return not (self.not_resources and _any_match(self.not_resources, resource))

    @property
    def everyone(self) -> bool:
        return "*" in self.principals


def _any_match(patterns: tuple[str, ...], value: str, fold: bool = False) -> bool:
    if fold:
        value = value.lower()
        return any(fnmatchcase(value, p.lower()) for p in patterns)
    return any(fnmatchcase(value, p) for p in patterns)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedPolicy("Policy has an invalid value type")


def _principals(value: Any) -> tuple[str, ...]:
    if value == "*":
        return ("*",)
    if isinstance(value, dict) and value:
        found: list[str] = []
        for kind, who in value.items():
            if kind not in {"AWS", "Service", "Federated", "CanonicalUser"}:
                raise MalformedPolicy("Invalid principal in policy")
            found.extend(_as_tuple(who))
        return tuple(found)
    raise MalformedPolicy("Invalid principal in policy")


def parse_policy(text: str, bucket: str) -> list[Statement]:
    """Parse a bucket policy for `bucket`, raising `MalformedPolicy` where AWS would."""
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        raise MalformedPolicy("This policy contains invalid Json") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicy("Missing required field Statement")
    raw = document["Statement"]
    raw_statements = raw if isinstance(raw, list) else [raw]
    if not raw_statements:
        raise MalformedPolicy("Could not parse the policy: Statement is empty!")
    return [_statement(item, bucket) for item in raw_statements]


def _require_fields(item: Any) -> None:
    """The fields every statement needs, with S3's PutBucketPolicy messages."""
    if not isinstance(item, dict):
        raise MalformedPolicy("This policy contains invalid Json")
    if item.get("Effect") not in _EFFECTS:
        raise MalformedPolicy("Invalid effect: " + str(item.get("Effect")))
    for field_name in ("Principal", "Action", "Resource"):
        if field_name not in item and f"Not{field_name}" not in item:
            raise MalformedPolicy(f"Missing required field {field_name}")
    if not isinstance(item.get("Condition") or {}, dict):
        raise MalformedPolicy("This policy contains invalid Json")


def _require_scope(resources: tuple[str, ...], actions: tuple[str, ...], bucket: str) -> None:
    """A bucket policy names only this bucket and its objects, and only S3 actions."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if not resources:
        raise MalformedPolicy("Missing required field Resource")
    if any(r != bucket_arn and not r.startswith(bucket_arn + "/") for r in resources):
        raise MalformedPolicy("Policy has invalid resource")
    if any(a != "*" and not a.lower().startswith("s3:") for a in actions):
        raise MalformedPolicy("Policy has invalid action")


def _statement(item: Any, bucket: str) -> Statement:
    _require_fields(item)
    resources = _as_tuple(item.get("Resource"))
    not_resources = _as_tuple(item.get("NotResource"))
    _require_scope(
        resources + not_resources,
        _as_tuple(item.get("Action")) + _as_tuple(item.get("NotAction")),
        bucket,
    )
    effect, condition = item["Effect"], item.get("Condition") or {}
    principal = item.get("Principal", item.get("NotPrincipal"))
    return Statement(
        effect=effect,
        principals=_principals(principal),
        actions=_as_tuple(item.get("Action")),
        not_actions=_as_tuple(item.get("NotAction")),
        resources=resources,
        not_resources=not_resources,
        condition=condition,
    )


def _narrowed(condition: dict[str, Any]) -> bool:
    """True when a condition pins the grant to fixed, non-public values."""
    for operator, pairs in condition.items():
        if "like" in operator.lower() or not isinstance(pairs, dict):
            continue
        for key, values in pairs.items():
            if key.lower() in _NARROWING_KEYS and "*" not in json.dumps(values):
                return True
    return False


def is_public(statements: list[Statement]) -> bool:
    """AWS's rule: public when any Allow reaches everyone without a narrowing condition."""
    return any(
        s.effect == "Allow"
        and (s.everyone or any("*" in p for p in s.principals))
        and not _narrowed(s.condition)
        for s in statements
    )


def anonymous_decision(statements: list[Statement], action: str, resource: str) -> Decision:
    """What the policy lets an unsigned caller do; conditions are not evaluated (a listed gap)."""
    decision: Decision = "implicit-deny"
    for statement in statements:
        if not statement.everyone or not statement.covers(action, resource):
            continue
        if statement.effect == "Deny":
            return "deny"
        if not statement.condition:
            decision = "allow"
    return decision
