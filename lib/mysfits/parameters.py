"""Notebook parameters: every rule checked before anything runs, every broken rule in one error."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

from .bucketnames import InvalidBucketName, validate_bucket_name
from .errors import WorkshopError
from .names import InvalidPrefix, validate_prefix

__all__ = [
    "COUNTS",
    "Count",
    "InvalidParameters",
    "commercial_regions",
    "notebook_parameters",
    "problems",
    "require_count",
    "validate",
]


class InvalidParameters(WorkshopError, ValueError):
    """One or more parameters break a rule; the message states each rule."""


@dataclass(frozen=True)
class Count:
    """A whole number in [low, high], and why those bounds."""

    low: int
    high: int
    why: str


# Bounds shared by the library and the notebooks. At most 10 tasks: enough to watch a rolling
# deployment, few enough that a typo cannot run up a large Fargate bill.
COUNTS: dict[str, Count] = {
    "desired_count": Count(1, 10, "service tasks: at least 1 to answer requests, at most 10"),
    "nat_gateways": Count(
        1, 2, "one shared NAT gateway is cheaper, two, one per zone, are highly available"
    ),
    "buffer_interval": Count(
        0, 900, "seconds Firehose buffers clicks before it writes an object (AWS: 0 to 900)"
    ),
    "processor_buffer_interval": Count(
        0, 900, "seconds Firehose buffers clicks before it calls the processor (AWS: 0 to 900)"
    ),
}
# Notebook 02's self-healing experiment stops one task while another serves: with a single
# task it would fail minutes into the run, so the notebook refuses it up front.
NOTEBOOK_COUNTS: dict[str, dict[str, Count]] = {
    "02": {
        "desired_count": Count(
            2,
            10,
            "service tasks: notebook 02 stops one while another serves, so at least 2; at most 10",
        )
    },
    # Notebook 06's traffic: bounded so a typo cannot flood the API (or the bill, on AWS).
    "06": {
        "visitors": Count(1, 500, "simulated visitors: at least 1, at most 500"),
        "signed_in": Count(0, 50, "visitors who sign up and in (Cognito users): 0 to 50"),
        "max_requests": Count(10, 20_000, "requests one traffic run may send: 10 to 20,000"),
        "max_seconds": Count(10, 1_800, "seconds one traffic run may send for: 10 to 1,800"),
        "delivery_timeout": Count(10, 1_800, "seconds to wait for delivery: 10 to 1,800"),
    },
}
TARGETS = ("local", "aws")


@cache
def commercial_regions() -> frozenset[str]:
    """AWS's commercial regions (partition `aws`), as botocore's partition data lists them."""
    partitions = botocore.session.get_session().get_data("partitions")["partitions"]
    regions = next(p["regions"] for p in partitions if p["id"] == "aws")
    return frozenset(r for r in regions if r != "aws-global")


def _count_problem(name: str, value: Any, rule: Count) -> str | None:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if whole and rule.low <= value <= rule.high:
        return None
    return f"{name}={value!r}: use a whole number from {rule.low} to {rule.high} ({rule.why})"


def _target_problem(value: Any) -> str | None:
    return None if value in TARGETS else f"target={value!r}: use 'local' or 'aws'"


def _region_problem(value: Any) -> str | None:
    if isinstance(value, str) and value in commercial_regions():
        return None
    return (
        f"region={value!r}: use one of AWS's commercial regions, e.g. us-east-1, eu-west-1 "
        f"({len(commercial_regions())} known to botocore)"
    )


def _interactive_problem(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"interactive={value!r}: use true or false"


def _named(
    check: Callable[[str], str], error: type[Exception], name: str, empty_ok: bool = False
) -> Callable[[Any], str | None]:
    def problem(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"{name}={value!r}: use a string"
        if empty_ok and value == "":
            return None
        try:
            check(value)
        except error as broken:
            return f"{name}={value!r}: {broken}"
        return None

    return problem


_RULES: dict[str, Callable[[Any], str | None]] = {
    "target": _target_problem,
    "region": _region_problem,
    "prefix": _named(validate_prefix, InvalidPrefix, "prefix"),
    "interactive": _interactive_problem,
    # An empty bucket_name means "derive it from prefix, account and region".
    "bucket_name": _named(validate_bucket_name, InvalidBucketName, "bucket_name", empty_ok=True),
}


def problems(values: Mapping[str, Any], notebook: str = "") -> list[str]:
    """Every rule `values` break, one sentence each; parameters without a rule are not judged."""
    counts = {**COUNTS, **NOTEBOOK_COUNTS.get(notebook[:2], {})}
    found = []
    for name, value in values.items():
        if name in counts:
            found.append(_count_problem(name, value, counts[name]))
        elif name in _RULES:
            found.append(_RULES[name](value))
    return [p for p in found if p is not None]


def validate(notebook: str = "", **values: Any) -> None:
    """Raise InvalidParameters naming every broken rule (`notebook` adds its own bounds)."""
    broken = problems(values, notebook)
    if broken:
        where = f" of notebook {notebook}" if notebook else ""
        raise InvalidParameters(f"invalid parameters{where}: " + "; ".join(broken))


def require_count(name: str, value: Any) -> int:
    """`value` if it is within COUNTS[name], else InvalidParameters stating the range."""
    problem = _count_problem(name, value, COUNTS[name])
    if problem is not None:
        raise InvalidParameters(problem)
    return int(value)


def notebook_parameters(source: str) -> dict[str, Any]:
    """The names a `parameters` cell assigns, with their literal defaults (else None)."""
    names: dict[str, Any] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    try:
                        names[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        names[target.id] = None
    return names
