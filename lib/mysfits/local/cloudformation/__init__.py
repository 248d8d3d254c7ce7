"""CloudFormation: stacks delete in dependency order and update with rollback, as AWS does.

`patches` wires the fixes into moto; `deletes` holds how each resource type is deleted, a registry
a later service package extends through `cloud.services["cloudformation"].deletes.register(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import patches
from .deletes import ResourceDeletes, builtin_deletes

if TYPE_CHECKING:
    from ..server import LocalCloud


@dataclass
class CloudFormation:
    """What this package adds to one local cloud."""

    deletes: ResourceDeletes


def register(cloud: LocalCloud) -> CloudFormation:
    service = CloudFormation(builtin_deletes())
    patches.apply(cloud.patches, service.deletes)
    return service
