"""CloudFormation: stacks create, update and delete in dependency order, as AWS does.

`patches` wires the fixes into moto; `deletes` holds how each resource type is deleted, a registry
a later service package extends through `cloud.services["cloudformation"].deletes.register(...)`;
`types` (`registry`) the types this package creates itself (`handlers`), which a service package
extends with `cloud.services["cloudformation"].types.register(handler)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import patches
from .deletes import ResourceDeletes, builtin_deletes
from .handlers import builtin_handlers
from .registry import ResourceTypes

if TYPE_CHECKING:
    from ..server import LocalCloud


@dataclass
class CloudFormation:
    """What this package adds to one local cloud."""

    deletes: ResourceDeletes
    types: ResourceTypes


def register(cloud: LocalCloud) -> CloudFormation:
    deletes = builtin_deletes()
    types = ResourceTypes(cloud.loopback, deletes)
    types.register_all(builtin_handlers())
    patches.apply(cloud.patches, deletes, types)
    return CloudFormation(deletes, types)
