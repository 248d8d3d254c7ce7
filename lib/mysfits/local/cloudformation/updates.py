"""UpdateStack as AWS does it: create, change, clean up, or roll back.

AWS behaviour restored (moto 5.2.5 re-applies only the resources whose template text changed or
that Ref a changed parameter, so a parameter that flips a Condition creates and deletes nothing, a
`!If` on it changes nothing, and the exports keep their old values):
- the resources to keep are those whose Condition holds with the new parameters; in dependency
  order the new ones are created (CREATE_IN_PROGRESS / CREATE_COMPLETE) and the kept ones whose
  resolved Properties differ are updated (UPDATE_IN_PROGRESS / UPDATE_COMPLETE) or replaced, as
  `changes` decides.
- then (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) the resources whose Condition turned false or that
  left the template, and the replaced ones, are deleted in reverse dependency order as DeleteStack
  deletes; the stack ends UPDATE_COMPLETE with the new template, parameters, outputs and exports.
- a resource that fails, an export another stack imports that would change or go, or an export
  name another stack owns rolls the update back: what it created goes, what it updated gets its
  old properties back, and the stack ends UPDATE_ROLLBACK_COMPLETE as it was.
- refused before anything changes: a DELETE_FAILED stack ("... is in DELETE_FAILED state and can
  not be updated."), resources that refer to each other in a circle ("Circular dependency between
  resources: [A, B]") and an update that changes neither template, parameters nor tags ("No
  updates are to be performed.").
Not covered: stack policies and rollback triggers; the update runs inside the UpdateStack call (no
IN_PROGRESS state to observe); ExecuteChangeSet keeps moto's own update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import OutputMap, ResourceMap

from . import changes, exports, resources
from .creation import creation_order
from .deletes import ResourceDeletes
from .events import AwsWordedError, reason, resource_event, set_reason
from .teardown import delete_in_order

UpdateStack = Callable[..., Stack]


class Step(NamedTuple):
    """One thing an update did, enough to undo it."""

    lid: str
    how: str  # "create", "replace", or how it changed in place
    before: Any  # resolved properties before (None for a create)
    after: Any


@dataclass
class Revision:
    """What the stack becomes if the update succeeds."""

    template: str
    template_dict: dict[str, Any]
    parameters: dict[str, Any]
    tags: dict[str, str] | None
    role_arn: str | None
    resources: ResourceMap


def update_stack(deletes: ResourceDeletes) -> UpdateStack:
    """`CloudFormationBackend.update_stack`, deleting each resource through `deletes`."""

    def update_stack(
        self: CloudFormationBackend,
        name: str,
        template: str,
        role_arn: str | None,
        parameters: list[dict[str, Any]],
        tags: dict[str, str] | None,
    ) -> Stack:
        stack = self.get_stack(name)
        revision = _revision(self, stack, template, role_arn, parameters, tags)
        order = creation_order(stack, revision.resources)
        stack.status = "UPDATE_IN_PROGRESS"
        stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        update = StackUpdate(stack, stack.resource_map, revision.resources)
        try:
            cleanup = update.apply(order)
            outputs = OutputMap(revision.resources, revision.template_dict, stack.stack_id)
            new_exports = exports.updated_exports(self, stack, outputs)
        except Exception as failure:  # AWS rolls back whatever went wrong
            update.roll_back(reason(failure), deletes)
            return stack
        _commit(self, stack, revision, outputs, new_exports)
        stack.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
        stack._add_stack_event(stack.status)
        # What fails to go at cleanup stays behind; AWS still completes the update.
        delete_in_order(stack, update.old, cleanup, deletes)
        stack.status = "UPDATE_COMPLETE"
        set_reason(stack, None)
        stack._add_stack_event("UPDATE_COMPLETE")
        return stack

    return update_stack


def _revision(
    backend: CloudFormationBackend,
    stack: Stack,
    template: str,
    role_arn: str | None,
    parameters: list[dict[str, Any]],
    tags: dict[str, str] | None,
) -> Revision:
    """The stack as the update would leave it, checked; nothing is created yet."""
    if stack.status == "DELETE_FAILED":
        raise ValidationError(
            stack.stack_id,
            message=(f"Stack:{stack.stack_id} is in DELETE_FAILED state and can not be updated."),
        )
    values = backend._resolve_update_parameters(instance=stack, incoming_params=parameters)
    template_dict = Stack.parse_template(template)
    new = ResourceMap(
        stack.stack_id,
        stack.name,
        values,
        stack.tags if tags is None else tags,
        region_name=stack.region_name,
        account_id=stack.account_id,
        template=template_dict,
        cross_stack_resources=stack.cross_stack_resources,
    )
    new.load()  # parameters, conditions and outputs are checked
    new.tags.update(
        {"aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id}
    )
    current = stack.template  # moto keeps the text it was given (its type allows a dict)
    old_dict = current if isinstance(current, dict) else Stack.parse_template(current)
    unchanged = (
        template_dict == old_dict
        and new.resolved_parameters == stack.resource_map.resolved_parameters
    )
    if unchanged and (tags is None or tags == stack.tags):
        raise ValidationError(stack.name, message="No updates are to be performed.")
    return Revision(template, template_dict, values, tags, role_arn, new)


def _commit(
    backend: CloudFormationBackend,
    stack: Stack,
    revision: Revision,
    outputs: OutputMap,
    new_exports: list[Any],
) -> None:
    """Make `revision` the stack's template, parameters, resources, outputs and exports."""
    exports.replace(backend, stack, new_exports)
    stack.template, stack.template_dict = revision.template, revision.template_dict
    stack.description = revision.template_dict.get("Description")
    stack.resource_map, stack.output_map = revision.resources, outputs
    stack.parameters, stack.role_arn = revision.parameters, revision.role_arn
    if revision.tags is not None:
        stack.tags = revision.tags


@dataclass
class StackUpdate:
    """One update of `stack` from resource map `old` to `new`, recording what it did."""

    stack: Stack
    old: ResourceMap
    new: ResourceMap
    done: list[Step] = field(default_factory=list)
    cleanup: dict[str, Any] = field(default_factory=dict)

    def apply(self, order: list[str]) -> dict[str, Any]:
        """Create and change into `new` in `order`; return what cleanup deletes (lid -> model)."""
        live = resources.live(self.old)
        old_defs, new_defs = self.old._resource_json_map, self.new._resource_json_map
        keep = {
            lid for lid in order if lid in live and old_defs[lid]["Type"] == new_defs[lid]["Type"]
        }
        before = {lid: changes.resolved_properties(old_defs[lid], self.old) for lid in keep}
        self.cleanup = {lid: model for lid, model in live.items() if lid not in keep}
        self.new._parsed_resources.update({lid: live[lid] for lid in keep})
        for lid in order:
            if lid in keep:
                self._change(lid, live[lid], before[lid])
            else:
                self._create(lid)
        return self.cleanup

    def _create(self, lid: str) -> None:
        kind = self.new._resource_json_map[lid]["Type"]
        resource_event(self.stack, lid, None, kind, "CREATE_IN_PROGRESS")
        try:
            model = changes.create(self.new, lid)
        except Exception as error:
            resource_event(self.stack, lid, None, kind, "CREATE_FAILED", reason(error))
            raise AwsWordedError(f"The following resource(s) failed to create: [{lid}].") from error
        self.done.append(Step(lid, "create", None, None))
        resource_event(self.stack, lid, model, kind, "CREATE_COMPLETE")

    def _change(self, lid: str, model: Any, before: Any) -> None:
        definition = self.new._resource_json_map[lid]
        after = changes.resolved_properties(definition, self.new)
        if after == before:
            return
        kind = definition["Type"]
        how = changes.how(kind, model, before, after)
        resource_event(
            self.stack,
            lid,
            model,
            kind,
            "UPDATE_IN_PROGRESS",
            changes.REPLACING if how == "replace" else None,
        )
        try:
            changed = changes.change(self.new, lid, how, model, before, after)
        except Exception as error:
            resource_event(self.stack, lid, model, kind, "UPDATE_FAILED", reason(error))
            raise AwsWordedError(f"The following resource(s) failed to update: [{lid}].") from error
        self.done.append(Step(lid, how, before, after))
        if how == "replace":
            self.cleanup[lid] = model
        resource_event(self.stack, lid, changed, kind, "UPDATE_COMPLETE")

    def roll_back(self, why: str, deletes: ResourceDeletes) -> None:
        """Undo what was done, newest first: changes get their old properties back, then what
        was created goes; the stack keeps its old template, parameters and outputs."""
        stack = self.stack
        stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        set_reason(stack, why)
        stack._add_stack_event(stack.status, resource_status_reason=why)
        try:
            self._restore_changed()
            stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
            self._remove_created(deletes)
        except Exception as error:
            failed = f"{why} Rollback: {reason(error)}"
            stack.status = "UPDATE_ROLLBACK_FAILED"
            set_reason(stack, failed)
            stack._add_stack_event(stack.status, resource_status_reason=failed)
            return
        stack.status = "UPDATE_ROLLBACK_COMPLETE"
        stack._add_stack_event(stack.status)

    def _restore_changed(self) -> None:
        for step in reversed(self.done):
            if step.how in ("create", "replace"):
                continue
            kind, model = self.old._resource_json_map[step.lid]["Type"], self.new[step.lid]
            resource_event(self.stack, step.lid, model, kind, "UPDATE_IN_PROGRESS")
            restored = changes.change(self.old, step.lid, step.how, model, step.after, step.before)
            resource_event(self.stack, step.lid, restored, kind, "UPDATE_COMPLETE")

    def _remove_created(self, deletes: ResourceDeletes) -> None:
        for step in reversed(self.done):
            if step.how not in ("create", "replace"):
                continue
            model, definition = self.new[step.lid], self.new._resource_json_map[step.lid]
            resource_event(self.stack, step.lid, model, definition["Type"], "DELETE_IN_PROGRESS")
            deletes.delete(self.new, model, definition)
            resource_event(self.stack, step.lid, model, definition["Type"], "DELETE_COMPLETE")
