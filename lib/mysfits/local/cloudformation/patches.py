"""CloudFormation deletes a stack's resources in reverse dependency order, says what it could not delete,
and updates a stack to what its template and parameters now say.

AWS behaviours restored (moto 5.2.5 differs on each):
- DeleteStack deletes in reverse dependency order: if A refers to B (Ref, Fn::GetAtt, Fn::Sub,
  DependsOn), A goes before B. Every resource that can go does, even after another one failed;
  only what a failed resource still uses stays. Resources with DeletionPolicy Retain are skipped
  (DELETE_SKIPPED). Each resource gets DELETE_IN_PROGRESS / DELETE_COMPLETE / DELETE_FAILED events.
- A non-empty S3 bucket cannot go: its event says "The bucket you tried to delete is not empty
  (Service: Amazon S3; Status Code: 409; Error Code: BucketNotEmpty; ...)", the stack ends
  DELETE_FAILED with "The following resource(s) failed to delete: [<LogicalId>]." and stays
  listed (and can only be deleted again, not updated); a second DeleteStack retries what is left.
- A stack whose export another stack imports is not deleted: after DELETE_IN_PROGRESS it returns
  to its previous status with "Export <name> cannot be deleted as it is in use by <stack>".
- Deleting a resource removes it: NAT gateways turn `deleted` (their interface goes, their
  address is disassociated), addresses are released, VPC endpoints, routes, route table
  associations, route tables, internet gateways and their attachments disappear.
- A stack's AWS::EC2::SubnetRouteTableAssociation really associates the subnet with the table.

What moto 5.2.5 does instead: it retries deletes in arbitrary order until a pass makes no
progress, then raises the last error (DependencyViolation on the VPC) out of DeleteStack after
it has already dropped the stack, so nothing lists the stack, its VPC, NAT gateway, address,
endpoint, route tables and attached internet gateway are left behind for good, and its exports
stay registered (creating the stack again fails: "Export names must be unique"); it treats
resource types without a delete (NatGateway, EIP, VPCEndpoint, Route, RouteTable,
SubnetRouteTableAssociation, VPCGatewayAttachment, InternetGateway) as deleted while they live
on; and it drops a non-empty bucket from the stack as if deleted while the bucket stays.

UpdateStack (moto 5.2.5 re-applies only the resources whose template text changed or that Ref a
changed parameter, so a parameter that flips a Condition creates and deletes nothing, a `!If` on
it changes nothing, a resource moto cannot update drops out of the stack while it lives on, and
the exports keep their old values) works out the stack as AWS does:
- the resources to keep are those whose Condition holds with the new parameters; in dependency
  order, the new ones are created (CREATE_IN_PROGRESS / CREATE_COMPLETE) and the kept ones whose
  resolved Properties differ (through a parameter, an `!If`, or a Ref/GetAtt to a resource
  created or replaced in this update) are updated (UPDATE_IN_PROGRESS / UPDATE_COMPLETE): in
  place where moto has an update, a Route through ReplaceRoute, a tag-only change on an EC2
  resource by retagging it; any other change replaces the resource (a new one is created, the
  old one is deleted at cleanup).
- then (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) the resources whose Condition turned false or that
  left the template, and the replaced ones, are deleted in reverse dependency order with the
  delete machinery above; the stack ends UPDATE_COMPLETE with the new outputs and exports.
- a resource that fails, an export another stack imports that would change or go ("Export <name>
  cannot be updated as it is in use by <stack>") or an export name another stack owns rolls the
  update back: what it created goes, what it updated gets its old properties back, and the stack
  ends UPDATE_ROLLBACK_COMPLETE with its old template, parameters and outputs.
- an update that changes neither template, parameters nor tags fails: "No updates are to be
  performed."

Not covered: DeleteStack's RetainResources; per-resource status in DescribeStackResources (moto
shows the stack's status); resource types outside the table below whose moto model has no delete
still only leave the stack. UpdateStack: where moto has an update it decides what changes (a
SecurityGroup change gives a new group; an IAM Role update applies only its Description, not its
Policies or trust policy); replacing a custom-named resource (AWS refuses) gets whatever moto's
create does with the name; no UpdateReplacePolicy, stack policy or rollback trigger; the update
runs inside the UpdateStack call (no IN_PROGRESS state to observe); ExecuteChangeSet keeps moto's
own update.
"""

from __future__ import annotations

import base64
import copy
import os
import re
from typing import Any, Callable

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.cloudformation.parsing import (OutputMap, ResourceMap, clean_json, parse_and_update_resource,
                                         resource_class_from_type)
from moto.ec2.models import ec2_backends
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from ..core.patching import Patches

_RETAINED = ("Retain", "RetainExceptOnCreate")


def apply(patches: Patches) -> None:
    """Delete in dependency order, update with rollback, and associate subnets as AWS does."""
    patches.apply("cloudformation.delete-in-order", CloudFormationBackend, "delete_stack", _delete_stack)
    patches.apply("cloudformation.update-and-rollback", CloudFormationBackend, "update_stack", _update_stack)
    patches.apply("cloudformation.stack-resources", Stack, "stack_resources", property(_stack_resources))
    associate = SubnetRouteTableAssociation.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    patches.apply("cloudformation.subnet-association", SubnetRouteTableAssociation,
                  "create_from_cloudformation_json", classmethod(_associate(associate)))


# ---------------------------------------------------------------- the stack


def _delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None)
    if stack is None:
        return  # AWS: deleting a stack that does not exist (any more) succeeds and does nothing
    export_names = [export.name for export in stack.exports]
    users = _importers(self, stack, set(export_names))
    if users:
        name, stacks = next(iter(users.items()))
        reason = f"Export {name} cannot be deleted as it is in use by {' and '.join(stacks)}"
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack._add_stack_event(stack.status, resource_status_reason=reason)
        stack.status_reason = reason
        return
    failed = _delete_resources(stack)
    if failed:
        stack.status = "DELETE_FAILED"
        stack.status_reason = f"The following resource(s) failed to delete: [{', '.join(failed)}]."
        stack._add_stack_event("DELETE_FAILED", resource_status_reason=stack.status_reason)
        return
    stack.status, stack.status_reason = "DELETE_COMPLETE", None
    stack._add_stack_event("DELETE_COMPLETE")
    self.stacks.pop(stack.stack_id, None)
    self.deleted_stacks[stack.stack_id] = stack
    for name in export_names:
        self.exports.pop(name, None)


def _importers(backend: CloudFormationBackend, stack: Stack, names: set[str]) -> dict[str, list[str]]:
    """Which other stacks import which of `names` (export name -> stack names)."""
    users: dict[str, list[str]] = {}
    for other in backend.stacks.values():
        if other is stack or not names:
            continue
        for argument in _find(other.template_dict, "Fn::ImportValue"):
            try:
                name = clean_json(argument, other.resource_map)
            except Exception:  # an import we cannot resolve cannot be one of ours
                continue
            if name in names and other.name not in users.setdefault(name, []):
                users[name].append(other.name)
    return {name: stacks for name, stacks in users.items() if stacks}


def _find(node: Any, key: str) -> list[Any]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == key] + [x for v in node.values() for x in _find(v, key)]
    if isinstance(node, list):
        return [x for item in node for x in _find(item, key)]
    return []


# ---------------------------------------------------------------- the update


_REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."
_ROUTE_KEYS = {"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"}


class _Failed(Exception):
    """The update cannot complete: roll it back, saying why."""


def _update_stack(self: CloudFormationBackend, name: str, template: str, role_arn: str | None,
                  parameters: list[dict[str, Any]], tags: dict[str, str] | None) -> Stack:
    """UpdateStack as AWS does it (see the module docstring); moto's own is not called."""
    stack = self.get_stack(name)
    if stack.status == "DELETE_FAILED":
        raise ValidationError(stack.stack_id, message=(
            f"Stack:{stack.stack_id} is in DELETE_FAILED state and can not be updated."))
    values = self._resolve_update_parameters(instance=stack, incoming_params=parameters)
    template_dict = Stack.parse_template(template)
    old = stack.resource_map
    new = ResourceMap(stack.stack_id, stack.name, values, stack.tags if tags is None else tags,
                      region_name=stack.region_name, account_id=stack.account_id, template=template_dict,
                      cross_stack_resources=stack.cross_stack_resources)
    new.load()  # parameters, conditions and outputs are checked; nothing is created yet
    new.tags.update({"aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id})
    if template_dict == Stack.parse_template(stack.template) and new.resolved_parameters == old.resolved_parameters \
            and (tags is None or tags == stack.tags):
        raise ValidationError(stack.name, message="No updates are to be performed.")

    stack.status = "UPDATE_IN_PROGRESS"
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    done: list[tuple[str, str, Any, Any]] = []
    try:
        cleanup = _apply(stack, old, new, done)
        outputs = OutputMap(new, template_dict, stack.stack_id)
        exports = _new_exports(self, stack, outputs)
    except Exception as failure:  # AWS rolls back whatever went wrong
        _roll_back(stack, old, new, done, str(failure) if isinstance(failure, _Failed) else _reason(failure))
        return stack

    for export in stack.exports:
        if getattr(self.exports.get(export.name), "exporting_stack_id", None) == stack.stack_id:
            del self.exports[export.name]
    self.exports.update({export.name: export for export in exports})
    stack.template, stack.template_dict, stack.description = template, template_dict, template_dict.get("Description")
    stack.resource_map, stack.output_map, stack.parameters, stack.role_arn = new, outputs, values, role_arn
    if tags is not None:
        stack.tags = tags
    stack.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    stack._add_stack_event(stack.status)
    _delete_in_order(stack, old, cleanup)  # AWS leaves what fails to go here, and the update still completes
    stack.status, stack.status_reason = "UPDATE_COMPLETE", None
    stack._add_stack_event("UPDATE_COMPLETE")
    return stack


def _apply(stack: Stack, old: ResourceMap, new: ResourceMap, done: list[tuple[str, str, Any, Any]]) -> dict[str, Any]:
    """Create and update into `new`, dependencies first; return what cleanup deletes (logical id -> model).

    `done` records each step for a rollback: (logical id, how, properties before, properties after).
    """
    live, old_defs, new_defs = _live(old), old._resource_json_map, new._resource_json_map
    wanted = [lid for lid, definition in new_defs.items()
              if _holds(new, definition) and resource_class_from_type(definition["Type"])]
    keep = {lid for lid in wanted if lid in live and old_defs[lid]["Type"] == new_defs[lid]["Type"]}
    before = {lid: _properties(old_defs[lid], old) for lid in keep}  # before anything changes
    cleanup = {lid: model for lid, model in live.items() if lid not in keep}
    new._parsed_resources.update({lid: live[lid] for lid in keep})
    uses = {lid: _references(new_defs[lid], new) & set(wanted) - {lid} for lid in wanted}
    for lid in reversed(_dependents_first(uses)):
        kind = new_defs[lid]["Type"]
        if lid not in keep:
            _event(stack, lid, None, kind, "CREATE_IN_PROGRESS")
            try:
                model = _create(new, lid)
            except Exception as error:
                _event(stack, lid, None, kind, "CREATE_FAILED", _reason(error))
                raise _Failed(f"The following resource(s) failed to create: [{lid}].") from error
            done.append((lid, "create", None, None))
            _event(stack, lid, model, kind, "CREATE_COMPLETE")
            continue
        after = _properties(new_defs[lid], new)
        if after == before[lid]:
            continue
        how = _how(kind, live[lid], before[lid], after)
        _event(stack, lid, live[lid], kind, "UPDATE_IN_PROGRESS", _REPLACING if how == "replace" else None)
        try:
            model = _update(new, lid, how, live[lid], before[lid], after)
        except Exception as error:
            _event(stack, lid, live[lid], kind, "UPDATE_FAILED", _reason(error))
            raise _Failed(f"The following resource(s) failed to update: [{lid}].") from error
        done.append((lid, how, before[lid], after))
        if how == "replace":
            cleanup[lid] = live[lid]
        _event(stack, lid, model, kind, "UPDATE_COMPLETE")
    return cleanup


def _holds(resource_map: ResourceMap, definition: dict[str, Any]) -> bool:
    condition = definition.get("Condition")
    return not condition or bool(resource_map.lazy_condition_map[condition])


def _properties(definition: dict[str, Any], resource_map: ResourceMap) -> Any:
    """A resource's Properties as they resolve in `resource_map` (unresolvable: differs from anything)."""
    try:
        return clean_json(copy.deepcopy(definition.get("Properties") or {}), resource_map)
    except Exception:
        return object()


def _how(kind: str, model: Any, before: Any, after: Any) -> str:
    """How AWS applies the change: in place ("route", "tags", "moto") or by replacing the resource."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        if kind == "AWS::EC2::Route" and not changed & _ROUTE_KEYS:
            return "route"  # AWS: ReplaceRoute, no interruption
        if changed == {"Tags"} and isinstance(model, TaggedEC2Resource):
            return "tags"
    if not getattr(resource_class_from_type(kind).update_from_cloudformation_json, "__isabstractmethod__", False):
        return "moto"
    return "replace"


def _create(resource_map: ResourceMap, lid: str) -> Any:
    model = resource_map[lid]  # moto's lazy map creates it
    if isinstance(model, TaggedEC2Resource):  # as moto's stack creation tags it
        ec2_backends[resource_map._account_id][resource_map._region_name].create_tags(
            [model.physical_resource_id], {**resource_map.tags, "aws:cloudformation:logical-id": lid})
    return model


def _update(resource_map: ResourceMap, lid: str, how: str, model: Any, before: Any, after: Any) -> Any:
    """Give `model` the properties `after` (resolved in `resource_map`); return the model that has them."""
    account_id, region = resource_map._account_id, resource_map._region_name
    ec2 = ec2_backends[account_id][region]
    if how == "route":
        ec2.replace_route(
            model.route_table.id, after.get("DestinationCidrBlock"), after.get("DestinationIpv6CidrBlock"),
            after.get("DestinationPrefixListId"), nat_gateway_id=after.get("NatGatewayId"),
            egress_only_igw_id=after.get("EgressOnlyInternetGatewayId"),
            transit_gateway_id=after.get("TransitGatewayId"), gateway_id=after.get("GatewayId"),
            instance_id=after.get("InstanceId"), interface_id=after.get("NetworkInterfaceId"),
            vpc_peering_connection_id=after.get("VpcPeeringConnectionId"))
        return model
    if how == "tags":
        old_tags, new_tags = ({tag["Key"]: tag["Value"] for tag in tags.get("Tags") or []} for tags in (before, after))
        ec2.delete_tags([model.physical_resource_id], {k: v for k, v in old_tags.items() if k not in new_tags})
        ec2.create_tags([model.physical_resource_id], new_tags)
        return model
    if how == "moto":
        resource_map._parsed_resources[lid] = model  # the model moto updates
        updated = parse_and_update_resource(lid, resource_map._resource_json_map[lid], resource_map,
                                            account_id=account_id, region_name=region)
        resource_map._parsed_resources[lid] = updated or model
        return updated or model
    resource_map._parsed_resources.pop(lid, None)  # replace: the lazy map creates a new one
    return _create(resource_map, lid)


def _new_exports(backend: CloudFormationBackend, stack: Stack, outputs: OutputMap) -> list[Any]:
    """The updated stack's exports; an export in use cannot change or go, another stack's cannot be taken."""
    try:
        exports = outputs.exports
    except Exception as error:
        raise _Failed(_reason(error)) from error
    values = {export.name: export.value for export in exports}
    for export in stack.exports:
        if values.get(export.name) != export.value and (users := _importers(backend, stack, {export.name})):
            verb = "updated" if export.name in values else "deleted"
            raise _Failed(f"Export {export.name} cannot be {verb} as it is in use by "
                          f"{' and '.join(users[export.name])}")
    for name in values:
        owner = backend.exports.get(name)
        if owner is not None and owner.exporting_stack_id != stack.stack_id:
            other = backend.stacks.get(owner.exporting_stack_id)
            raise _Failed(f"Export with name {name} is already exported by stack "
                          f"{other.name if other else owner.exporting_stack_id}")
    return exports


def _roll_back(stack: Stack, old: ResourceMap, new: ResourceMap, done: list[tuple[str, str, Any, Any]],
               reason: str) -> None:
    """Undo `done`, newest first: updates get their old properties back, what was created goes."""
    stack.status, stack.status_reason = "UPDATE_ROLLBACK_IN_PROGRESS", reason
    stack._add_stack_event(stack.status, resource_status_reason=reason)
    try:
        for lid, how, before, after in reversed(done):
            if how not in ("create", "replace"):
                kind = old._resource_json_map[lid]["Type"]
                _event(stack, lid, new[lid], kind, "UPDATE_IN_PROGRESS")
                _event(stack, lid, _update(old, lid, how, new[lid], after, before), kind, "UPDATE_COMPLETE")
        stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        for lid, how, _, _ in reversed(done):
            if how in ("create", "replace"):
                model, definition = new[lid], new._resource_json_map[lid]
                _event(stack, lid, model, definition["Type"], "DELETE_IN_PROGRESS")
                _delete(new, model, definition)
                _event(stack, lid, model, definition["Type"], "DELETE_COMPLETE")
    except Exception as error:
        stack.status, stack.status_reason = "UPDATE_ROLLBACK_FAILED", f"{reason} Rollback: {_reason(error)}"
        stack._add_stack_event(stack.status, resource_status_reason=stack.status_reason)
        return
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event(stack.status)


# ---------------------------------------------------------------- the resources


def _stack_resources(stack: Stack) -> list[Any]:
    """The stack's resources that exist: never the deleted ones, and never created by looking.

    (moto lists `resource_map.values()`, which creates any resource not parsed yet.)
    """
    return list(_live(stack.resource_map).values())


def _live(resource_map: ResourceMap) -> dict[str, Any]:
    gone = _gone(resource_map)
    return {lid: resource for lid in resource_map._resource_json_map if lid not in gone
            and (resource := resource_map._parsed_resources.get(lid)) is not None
            and hasattr(resource, "logical_resource_id")}


def _gone(resource_map: ResourceMap) -> set[str]:
    """Logical ids this stack has deleted (the models stay parsed so outputs still resolve)."""
    return resource_map.__dict__.setdefault("_mysfits_gone", set())


def _delete_resources(stack: Stack) -> list[str]:
    """Delete what is left of the stack, dependents first; return the logical ids that failed."""
    stack.status = "DELETE_IN_PROGRESS"
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    return _delete_in_order(stack, stack.resource_map, _live(stack.resource_map))


def _delete_in_order(stack: Stack, resource_map: ResourceMap, live: dict[str, Any]) -> list[str]:
    """Delete `live` (logical id -> model, defined in `resource_map`), dependents first."""
    gone = _gone(resource_map)
    templates: dict[str, Any] = resource_map._resource_json_map
    uses = {lid: _references(templates[lid], resource_map) & live.keys() - {lid} for lid in live}
    failed: dict[str, str] = {}
    stuck: set[str] = set()
    for lid in _dependents_first(uses):
        resource, definition = live[lid], templates[lid]
        if any(lid in uses[user] for user in failed.keys() | stuck):
            stuck.add(lid)  # something that failed to go still uses it: AWS leaves it alone
            continue
        if definition.get("DeletionPolicy") in _RETAINED:
            _event(stack, lid, resource, definition["Type"], "DELETE_SKIPPED")
            gone.add(lid)
            continue
        _event(stack, lid, resource, definition["Type"], "DELETE_IN_PROGRESS")
        try:
            _delete(resource_map, resource, definition)
        except Exception as error:
            if not _not_found(error):
                failed[lid] = _reason(error)
                _event(stack, lid, resource, definition["Type"], "DELETE_FAILED", failed[lid])
                continue
        gone.add(lid)
        _event(stack, lid, resource, definition["Type"], "DELETE_COMPLETE")
    return list(failed)


def _dependents_first(uses: dict[str, set[str]]) -> list[str]:
    """Order logical ids so that every resource comes before the ones it uses."""
    users: dict[str, list[str]] = {lid: [] for lid in uses}
    for user, used in uses.items():
        for lid in used:
            users[lid].append(user)
    order: list[str] = []
    seen: set[str] = set()

    def visit(lid: str) -> None:
        if lid in seen:
            return
        seen.add(lid)
        for user in users[lid]:
            visit(user)
        order.append(lid)

    for lid in reversed(list(uses)):
        visit(lid)
    return order


def _references(node: Any, resource_map: ResourceMap) -> set[str]:
    """Names a template fragment refers to through Ref, Fn::GetAtt, Fn::Sub and DependsOn."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item, resource_map)
    if not isinstance(node, dict):
        return found
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            found.add(value)
        elif key == "DependsOn":
            found |= {value} if isinstance(value, str) else set(value)
        elif key == "Fn::GetAtt":
            found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
        elif key == "Fn::Sub":
            text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", str(text))
                      if name not in variables}
            found |= _references(variables, resource_map)
        elif key == "Fn::If" and isinstance(value, list) and len(value) == 3:
            try:  # only the branch the stack's conditions chose
                found |= _references(value[1] if resource_map.lazy_condition_map[value[0]] else value[2],
                                     resource_map)
            except Exception:
                found |= _references(value[1:], resource_map)
        else:
            found |= _references(value, resource_map)
    return found


def _event(stack: Stack, lid: str, resource: Any, kind: str, status: str, reason: str | None = None) -> None:
    try:
        physical_id = resource.physical_resource_id
    except Exception:
        physical_id = ""
    event = Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=lid,
                  physical_resource_id=physical_id, resource_type=kind, resource_status=status,
                  resource_status_reason=reason, resource_properties=None)
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(event)


def _not_found(error: Exception) -> bool:
    """AWS counts a resource that is already gone as deleted."""
    code = str(getattr(error, "error_type", "") or getattr(error, "code", ""))
    return "NotFound" in code or code.startswith("NoSuch")


def _reason(error: Exception) -> str:
    if isinstance(error, BucketNotEmpty):
        return str(error)
    message = getattr(error, "message", None) or str(error)
    code = getattr(error, "error_type", None) or type(error).__name__
    return f"{message} (Error Code: {code})"


class BucketNotEmpty(Exception):
    def __init__(self) -> None:
        request_id = os.urandom(8).hex().upper()
        extended_id = base64.b64encode(os.urandom(57)).decode()
        super().__init__("The bucket you tried to delete is not empty (Service: Amazon S3; Status Code: 409; "
                         f"Error Code: BucketNotEmpty; Request ID: {request_id}; "
                         f"S3 Extended Request ID: {extended_id}; Proxy: null)")


# ---------------------------------------------------------------- per-type deletes moto lacks


def _delete(resource_map: ResourceMap, resource: Any, definition: dict[str, Any]) -> None:
    account_id, region = resource_map._account_id, resource_map._region_name
    kind = definition["Type"]
    if kind == "AWS::S3::Bucket":
        if s3_backends[account_id][get_partition(region)].delete_bucket(resource.name) is None:
            raise BucketNotEmpty()
    elif kind in _EC2_DELETES:
        _EC2_DELETES[kind](ec2_backends[account_id][region], resource)
    else:
        resource_map._delete_resource(resource, definition)
        if isinstance(resource, Stack) and resource.status == "DELETE_FAILED":
            raise RuntimeError(f"Embedded stack {resource.stack_id} was not successfully deleted: "
                               f"{resource.status_reason}")


def _delete_nat_gateway(ec2: Any, nat: Any) -> None:
    if nat.id not in ec2.nat_gateways or nat.state == "deleted":
        return
    ec2.delete_nat_gateway(nat.id)
    for address in list(ec2.addresses):
        if address.eni is nat._eni:
            ec2.disassociate_address(address=address.public_ip)
    ec2.enis.pop(nat._eni.id, None)


def _delete_vpc_endpoint(ec2: Any, endpoint: Any) -> None:
    ec2.delete_vpc_endpoints([endpoint.id])
    ec2.vpc_end_points.pop(endpoint.id, None)


def _delete_route(ec2: Any, route: Any) -> None:
    prefix_list = getattr(route.destination_prefix_list, "id", None)
    ec2.delete_route(route.route_table.id, route.destination_cidr_block, route.destination_ipv6_cidr_block,
                     prefix_list)


def _delete_association(ec2: Any, association: Any) -> None:
    ec2.subnet_associations.pop(f"{association.route_table_id}:{association.subnet_id}", None)
    if getattr(association, "association_id", None):
        ec2.disassociate_route_table(association.association_id)


def _detach_gateway(ec2: Any, attachment: Any) -> None:
    if attachment.gateway_id.startswith("igw-"):
        ec2.detach_internet_gateway(attachment.gateway_id, attachment.vpc_id)
    else:
        ec2.detach_vpn_gateway(attachment.gateway_id, attachment.vpc_id)


_EC2_DELETES: dict[str, Callable[[Any, Any], None]] = {
    "AWS::EC2::NatGateway": _delete_nat_gateway,
    "AWS::EC2::EIP": lambda ec2, address: ec2.release_address(allocation_id=address.allocation_id)
    if address.allocation_id else ec2.release_address(address=address.public_ip),
    "AWS::EC2::VPCEndpoint": _delete_vpc_endpoint,
    "AWS::EC2::Route": _delete_route,
    "AWS::EC2::RouteTable": lambda ec2, table: ec2.delete_route_table(table.id),
    "AWS::EC2::SubnetRouteTableAssociation": _delete_association,
    "AWS::EC2::VPCGatewayAttachment": _detach_gateway,
    "AWS::EC2::InternetGateway": lambda ec2, gateway: ec2.delete_internet_gateway(gateway.id),
}


def _associate(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto only records a stack's subnet association; make EC2 know it too."""
    def create_from_cloudformation_json(cls: type, resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        association = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        association.association_id = ec2_backends[account_id][region_name].associate_route_table(
            association.route_table_id, subnet_id=association.subnet_id)
        return association

    return create_from_cloudformation_json
