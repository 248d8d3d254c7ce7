"""DeleteStack as AWS does it, and the ordered delete an update's cleanup shares.

AWS behaviour restored:
- resources go in reverse dependency order (see `ordering`); every resource that can go does, even
  after another one failed; only what a failed resource still uses stays. DeletionPolicy Retain
  (or RetainExceptOnCreate) skips a resource (DELETE_SKIPPED).
- a resource that fails (a non-empty bucket) ends the stack DELETE_FAILED with "The following
  resource(s) failed to delete: [<LogicalId>]."; the stack stays listed and a second DeleteStack
  retries what is left. Deleting a stack that does not exist succeeds and does nothing.
- a stack whose export another stack imports is not deleted: after DELETE_IN_PROGRESS it returns to
  its previous status with "Export <name> cannot be deleted as it is in use by <stack>".
- a deleted stack is listed DELETE_COMPLETE by id, not by name, and its exports are released.
moto 5.2.5 retries deletes in arbitrary order until a pass makes no progress, then raises the last
error (DependencyViolation on the VPC) out of DeleteStack after it has already dropped the stack.
Not covered: DeleteStack's RetainResources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import ResourceMap

from . import exports, resources
from .deletes import ResourceDeletes
from .events import not_found, reason, resource_event, set_reason
from .ordering import dependencies, dependents_first

_RETAINED = ("Retain", "RetainExceptOnCreate")


def delete_stack(deletes: ResourceDeletes) -> Callable[[CloudFormationBackend, str], None]:
    """`CloudFormationBackend.delete_stack`, deleting each resource through `deletes`."""

    def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        if stack is None or _refused(self, stack):
            return
        export_names = [export.name for export in stack.exports]
        stack.status = "DELETE_IN_PROGRESS"
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        failed = delete_in_order(
            stack, stack.resource_map, resources.live(stack.resource_map), deletes
        )
        if failed:
            why = f"The following resource(s) failed to delete: [{', '.join(failed)}]."
            stack.status = "DELETE_FAILED"
            set_reason(stack, why)
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=why)
            return
        stack.status = "DELETE_COMPLETE"
        set_reason(stack, None)
        stack._add_stack_event("DELETE_COMPLETE")
        self.stacks.pop(stack.stack_id, None)
        self.deleted_stacks[stack.stack_id] = stack
        exports.release(self, export_names)

    return delete_stack


def _refused(backend: CloudFormationBackend, stack: Stack) -> bool:
    """Refuse, as AWS does, to delete a stack whose exports are imported; say whether it did."""
    refusal = exports.in_use(backend, stack, [export.name for export in stack.exports])
    if refusal is None:
        return False
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack._add_stack_event(stack.status, resource_status_reason=refusal)
    set_reason(stack, refusal)
    return True


def delete_in_order(
    stack: Stack, resource_map: ResourceMap, live: dict[str, Any], deletes: ResourceDeletes
) -> list[str]:
    """Delete `live` (logical id -> model, defined in `resource_map`), dependents first.

    Returns the logical ids that failed to go; what they still use is left alone.
    """
    gone = resources.gone(resource_map)
    definitions: dict[str, Any] = resource_map._resource_json_map
    uses = dependencies(definitions, list(live), resource_map.lazy_condition_map)
    failed: dict[str, str] = {}
    stuck: set[str] = set()
    for lid in dependents_first(uses):
        model, definition = live[lid], definitions[lid]
        if any(lid in uses[user] for user in failed.keys() | stuck):
            stuck.add(lid)  # something that failed to go still uses it: AWS leaves it alone
            continue
        if definition.get("DeletionPolicy") in _RETAINED:
            resource_event(stack, lid, model, definition["Type"], "DELETE_SKIPPED")
            gone.add(lid)
            continue
        if (error := _delete_one(stack, lid, model, definition, resource_map, deletes)) is None:
            gone.add(lid)
        else:
            failed[lid] = error
    return list(failed)


def _delete_one(
    stack: Stack,
    lid: str,
    model: Any,
    definition: dict[str, Any],
    resource_map: ResourceMap,
    deletes: ResourceDeletes,
) -> str | None:
    """Delete one resource with its events; return why it failed, or None when it is gone."""
    kind = definition["Type"]
    resource_event(stack, lid, model, kind, "DELETE_IN_PROGRESS")
    try:
        deletes.delete(resource_map, model, definition)
    except Exception as error:
        if not not_found(error):  # AWS counts a resource that is already gone as deleted
            why = reason(error)
            resource_event(stack, lid, model, kind, "DELETE_FAILED", why)
            return why
    resource_event(stack, lid, model, kind, "DELETE_COMPLETE")
    return None
