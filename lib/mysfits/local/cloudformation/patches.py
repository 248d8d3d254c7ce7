"""The CloudFormation fixes, wired into moto as named patches that undo to moto's own behaviour.

Each module states the AWS behaviour it restores: `ordering` (create and delete order),
`teardown` (DeleteStack), `deletes` (per-type deletes), `updates` and `changes` (UpdateStack and
its rollback), `exports`, `events`, `resources` (what a stack lists) and `subnets`.
"""

from __future__ import annotations

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.ec2.models.subnets import SubnetRouteTableAssociation

from ..core.patching import Patches
from . import resources, subnets, teardown, updates
from .deletes import ResourceDeletes


def apply(patches: Patches, deletes: ResourceDeletes) -> None:
    """Delete in dependency order, update with rollback, list and associate as AWS does."""
    patches.apply(
        "cloudformation.delete-in-order",
        CloudFormationBackend,
        "delete_stack",
        teardown.delete_stack(deletes),
    )
    patches.apply(
        "cloudformation.update-and-rollback",
        CloudFormationBackend,
        "update_stack",
        updates.update_stack(deletes),
    )
    patches.apply(
        "cloudformation.stack-resources",
        Stack,
        "stack_resources",
        property(resources.stack_resources),
    )
    patches.wrap(
        "cloudformation.subnet-association",
        SubnetRouteTableAssociation,
        "create_from_cloudformation_json",
        subnets.associating,
    )
