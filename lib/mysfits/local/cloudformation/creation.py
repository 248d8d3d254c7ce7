"""CreateStack as AWS does it: dependencies first, an event per resource, a rollback on failure.

AWS behaviour restored:
- resources are created after what they use (Ref, Fn::GetAtt, Fn::Sub, DependsOn: `ordering`),
  each with CREATE_IN_PROGRESS and CREATE_COMPLETE events; resources that refer to each other in a
  circle are refused before anything is made ("Circular dependency between resources: [A, B]").
- a resource that fails, a type the local cloud cannot create among them (`registry`), is
  CREATE_FAILED with the service's reason, and the stack rolls back: ROLLBACK_IN_PROGRESS ("The
  following resource(s) failed to create: [X]. Rollback requested by user."), what was made is
  deleted dependents first, then ROLLBACK_COMPLETE (ROLLBACK_FAILED when something cannot go). A
  rolled-back stack has no outputs and can only be deleted.
- exports are registered once every resource exists; an export name another stack owns fails
  the stack ("Export with name X is already exported by stack Y").
moto 5.2.5 creates in DependsOn order only (references are followed lazily), skips types it does
not know, resolves exported outputs before creating (making those resources out of order, without
events) and raises a failure out of CreateStack, leaving the stack CREATE_IN_PROGRESS for good.
Not covered: OnFailure DO_NOTHING or DELETE and DisableRollback (a failed stack always rolls
back); the creation runs inside the CreateStack call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import AlreadyExistsException, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import OutputMap, ResourceMap
from moto.cloudformation.utils import generate_stack_id

from . import changes, exports, resources
from .deletes import ResourceDeletes
from .events import reason, resource_event, set_reason
from .ordering import CircularDependency, dependencies, dependents_first, require_acyclic
from .teardown import delete_in_order

CreateStack = Callable[..., Stack]


def creation_order(stack: Stack, resource_map: ResourceMap) -> list[str]:
    """The resources `resource_map` creates (their Condition holds), dependencies first.

    A circle is refused (ValidationError naming its resources); types nothing creates stay in
    the order, so that their creation fails and says why. moto's no-op types are left out.
    """
    definitions = resource_map._resource_json_map
    wanted = [
        lid
        for lid, definition in definitions.items()
        if changes.holds(resource_map, definition)
        and parsing.resource_class_from_type(definition["Type"])
    ]
    uses = dependencies(definitions, wanted, resource_map.lazy_condition_map)
    try:
        require_acyclic(uses)
    except CircularDependency as circle:
        raise ValidationError(stack.name, message=str(circle)) from circle
    return list(reversed(dependents_first(uses)))


def create_stack(deletes: ResourceDeletes) -> CreateStack:
    """`CloudFormationBackend.create_stack`: in order, rolled back through `deletes`."""

    def create_stack(
        self: CloudFormationBackend,
        name: str,
        template: str,
        parameters: dict[str, Any],
        notification_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        role_arn: str | None = None,
        enable_termination_protection: bool | None = False,
        timeout_in_mins: int | None = None,
        stack_policy_body: str | None = None,
    ) -> Stack:
        if any(stack.name == name for stack in self.stacks.values()):
            raise AlreadyExistsException(f"Stack [{name}] already exists")
        stack = Stack(  # type: ignore[abstract]  # moto instantiates it the same way
            stack_id=generate_stack_id(name, self.region_name, self.account_id),
            name=name,
            template=template,
            parameters=parameters,
            account_id=self.account_id,
            region_name=self.region_name,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
            cross_stack_resources=self.exports,
            enable_termination_protection=enable_termination_protection,
            timeout_in_mins=timeout_in_mins,
            stack_policy_body=stack_policy_body,
        )
        order = creation_order(stack, stack.resource_map)  # refused before the stack exists
        self.stacks[stack.stack_id] = stack
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        create_resources(self, stack, order, deletes)
        return stack

    return create_stack


def create_resources(
    backend: CloudFormationBackend, stack: Stack, order: list[str], deletes: ResourceDeletes
) -> None:
    """Create `stack`'s resources in `order`, then complete the stack, or roll it back."""
    resource_map = stack.resource_map
    resource_map.tags.update(
        {"aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id}
    )
    stack.status = "CREATE_IN_PROGRESS"
    failed = _create_each(stack, resource_map, order)
    if failed is not None:
        roll_back(stack, f"The following resource(s) failed to create: [{failed}].", deletes)
        return
    try:
        new_exports = exports.updated_exports(backend, stack, stack.output_map)
    except Exception as refusal:
        roll_back(stack, reason(refusal), deletes)
        return
    backend.exports.update({export.name: export for export in new_exports})
    stack.status = "CREATE_COMPLETE"
    set_reason(stack, None)
    stack._add_stack_event("CREATE_COMPLETE")


def _create_each(stack: Stack, resource_map: ResourceMap, order: list[str]) -> str | None:
    """Create each resource with its events; the logical id of the one that failed, if any."""
    for lid in order:
        kind = resource_map._resource_json_map[lid]["Type"]
        resource_event(stack, lid, None, kind, "CREATE_IN_PROGRESS")
        try:
            model = changes.create(resource_map, lid)
        except Exception as error:
            resource_event(stack, lid, None, kind, "CREATE_FAILED", reason(error))
            return lid
        resource_event(stack, lid, model, kind, "CREATE_COMPLETE")
    return None


def roll_back(stack: Stack, why: str, deletes: ResourceDeletes) -> None:
    """Delete what a failed creation made, dependents first; the stack ends ROLLBACK_COMPLETE."""
    why = f"{why} Rollback requested by user."
    stack.status = "ROLLBACK_IN_PROGRESS"
    set_reason(stack, why)
    stack._add_stack_event(stack.status, resource_status_reason=why)
    resource_map = stack.resource_map
    failed = delete_in_order(stack, resource_map, resources.live(resource_map), deletes)
    # No outputs: they would name resources that are gone (and moto would create them again).
    stack.output_map = OutputMap(resource_map, {}, stack.stack_id)
    if failed:
        stack.status = "ROLLBACK_FAILED"
        set_reason(stack, f"The following resource(s) failed to delete: [{', '.join(failed)}].")
    else:
        stack.status = "ROLLBACK_COMPLETE"
        set_reason(stack, None)
    stack._add_stack_event(stack.status)
