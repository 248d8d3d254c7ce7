"""CloudFormation: stacks delete in dependency order and update with rollback, as AWS does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import patches

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: "LocalCloud") -> None:
    patches.apply(cloud.patches)
