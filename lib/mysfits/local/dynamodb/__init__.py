"""DynamoDB: atomic item writes and AWS's batch-write limit (else moto's API; no data plane)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import patches

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> None:
    patches.apply(cloud.patches)
