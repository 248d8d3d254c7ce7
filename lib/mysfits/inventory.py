"""What the workshop left for a prefix, and each resource family's part in cleanup.

Every family module (website, network, images, fargate, loadbalancer, pipeline, database, users)
declares a `CLEANUP` `Family`: how to find what of it exists, with its hourly cost on AWS,
and its delete steps in order. `cleanup` puts the families in one dependency order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .workshop import Workshop

TAG_KEY = "workshop-prefix"

Step = tuple[str, Callable[[Workshop], object]]


@dataclass(frozen=True)
class Leftover:
    """One resource of the workshop that still exists, and what it costs per hour on AWS."""

    kind: str
    name: str
    hourly_usd: float = 0.0


@dataclass(frozen=True)
class Family:
    """A resource family's part in cleanup: what of it exists, and its labelled delete steps.

    Each step is idempotent (deleting what is gone is fine) and returns what it did.
    """

    leftovers: Callable[[Workshop], Iterable[Leftover]]
    steps: tuple[Step, ...]


def tagged(tags: Sequence[Mapping[str, str]] | Mapping[str, str], prefix: str) -> bool:
    """Whether `tags` (a dict, Key/Value or key/value pairs) carry the workshop tag of `prefix`."""
    if isinstance(tags, Mapping):
        return tags.get(TAG_KEY) == prefix
    return any(
        t.get("Key", t.get("key")) == TAG_KEY and t.get("Value", t.get("value")) == prefix
        for t in tags
    )
