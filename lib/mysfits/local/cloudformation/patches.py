"""The CloudFormation fixes, wired into moto as named patches that undo to moto's own behaviour.

Each module states the AWS behaviour it restores: `ordering` (create and delete order),
`creation` (CreateStack), `changesets`, `sam` (the SAM transform), `teardown` (DeleteStack),
`deletes` (per-type deletes), `registry` and `handlers` (the types the local cloud creates
itself, and types nothing can create), `updates` and `changes` (UpdateStack and its rollback),
`exports`, `events`, `resources` (what a stack lists) and `subnets`.
"""

from __future__ import annotations

from moto.cloudformation import parsing
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.ec2.models.subnets import SubnetRouteTableAssociation

from ..core.patching import Patches
from . import changesets, creation, resources, sam, subnets, teardown, updates
from .deletes import ResourceDeletes
from .registry import ResourceTypes


def apply(patches: Patches, deletes: ResourceDeletes, types: ResourceTypes) -> None:
    """Create, delete and update in dependency order, with every resource type or a clear
    failure; list and associate as AWS does."""
    patches.wrap(
        "cloudformation.resource-types",
        parsing,
        "resource_class_from_type",
        types.lookup,
    )
    patches.apply(
        "cloudformation.create-in-order",
        CloudFormationBackend,
        "create_stack",
        creation.create_stack(deletes),
    )
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
    _change_sets(patches, deletes)
    _sam_transform(patches)
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


def _change_sets(patches: Patches, deletes: ResourceDeletes) -> None:
    patches.wrap(
        "cloudformation.change-set-create-once",
        CloudFormationBackend,
        "create_change_set",
        changesets.refusing_second_create,
    )
    patches.apply("cloudformation.change-set-changes", ChangeSet, "diff", changesets.diff)
    patches.apply(
        "cloudformation.change-set-execute",
        CloudFormationBackend,
        "execute_change_set",
        changesets.execute_change_set(deletes),
    )


def _sam_transform(patches: Patches) -> None:
    """Expand SAM templates wherever a template comes in, on top of the fixes above."""
    for method in ("create_stack", "update_stack", "create_change_set"):
        patches.wrap(
            f"cloudformation.sam-transform-{method}",
            CloudFormationBackend,
            method,
            lambda original: sam.expanding(original, "template"),
        )
    for action in ("create_stack", "update_stack"):
        patches.wrap(
            f"cloudformation.sam-capability-{action}",
            CloudFormationResponse,
            action,
            sam.requiring_capability,
        )
    patches.apply(
        "cloudformation.template-stages", CloudFormationResponse, "get_template", sam.get_template
    )
