"""How UpdateStack creates or changes one resource, as AWS decides.

AWS behaviour restored: a kept resource whose resolved Properties differ (through a parameter, an
`!If`, or a Ref/GetAtt to a resource created or replaced in this update) is updated in place where
the type allows it: a Route through ReplaceRoute (no interruption), a tag-only change on an EC2
resource by retagging it, other types through their update; any other change replaces the
resource (a new one is created now, the old one goes at cleanup). A new resource is tagged as the
stack's creation tags it. moto 5.2.5 re-applies only resources whose template text changed or that
Ref a changed parameter, and drops a resource it cannot update from the stack while it lives on.
Not covered: where moto has an update, it decides what changes (a SecurityGroup change gives a new
group; an IAM Role update applies only its Description); replacing a custom-named resource (AWS
refuses) gets whatever moto's create does with the name; no UpdateReplacePolicy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.parsing import ResourceMap, clean_json, parse_and_update_resource
from moto.ec2.models import ec2_backends
from moto.ec2.models.core import TaggedEC2Resource

REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."

# A route's identity: changing any of these needs a new route, anything else is ReplaceRoute.
_ROUTE_KEYS = frozenset(
    {"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"}
)


def holds(resource_map: ResourceMap, definition: dict[str, Any]) -> bool:
    """Whether the resource's Condition (if any) holds with `resource_map`'s parameters."""
    condition = definition.get("Condition")
    return not condition or bool(resource_map.lazy_condition_map[condition])


def resolved_properties(definition: dict[str, Any], resource_map: ResourceMap) -> Any:
    """A resource's Properties as resolved in `resource_map` (unresolvable: differs from all)."""
    try:
        return clean_json(copy.deepcopy(definition.get("Properties") or {}), resource_map)
    except Exception:
        return object()


def how(kind: str, model: Any, before: Any, after: Any) -> str:
    """How AWS applies the change: in place ("route", "tags", "moto") or "replace"."""
    resolved = isinstance(before, dict) and isinstance(after, dict)
    in_place = _ec2_in_place(kind, model, before, after) if resolved else ""
    return in_place or ("replace" if replaces(kind, before, after) else "moto")


def _ec2_in_place(kind: str, model: Any, before: dict[str, Any], after: dict[str, Any]) -> str:
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    if kind == "AWS::EC2::Route" and not changed & _ROUTE_KEYS:
        return "route"
    if changed == {"Tags"} and isinstance(model, TaggedEC2Resource):
        return "tags"
    return ""


def replaces(kind: str, before: Any, after: Any) -> bool:
    """Whether changing a `kind` resource's properties from `before` to `after` replaces it:
    a `registry` type decides by the properties (unresolvable ones: it does); a moto type when
    moto cannot update it."""
    model_class = parsing.resource_class_from_type(kind)
    decide = getattr(model_class, "requires_replacement", None)
    if decide is not None:
        resolved = isinstance(before, dict) and isinstance(after, dict)
        return not resolved or bool(decide(before, after))
    update = getattr(model_class, "update_from_cloudformation_json", None)
    return update is None or bool(getattr(update, "__isabstractmethod__", False))


def create(resource_map: ResourceMap, lid: str) -> Any:
    """Create resource `lid` of `resource_map` and return its model."""
    model = resource_map[lid]  # moto's lazy map creates it
    if isinstance(model, TaggedEC2Resource):  # as moto's stack creation tags it
        _ec2(resource_map).create_tags(
            [model.physical_resource_id],
            {**resource_map.tags, "aws:cloudformation:logical-id": lid},
        )
    return model


def change(
    resource_map: ResourceMap, lid: str, how: str, model: Any, before: Any, after: Any
) -> Any:
    """Give `model` the properties `after` (resolved in `resource_map`) the way `how` says.

    Returns the model that has them: `model` itself, or its replacement.
    """
    apply = _IN_PLACE.get(how)
    if apply is None:  # replace: the lazy map creates a new one
        resource_map._parsed_resources.pop(lid, None)
        return create(resource_map, lid)
    return apply(resource_map, lid, model, before, after)


def _ec2(resource_map: ResourceMap) -> Any:
    return ec2_backends[resource_map._account_id][resource_map._region_name]


def _replace_route(resource_map: ResourceMap, lid: str, route: Any, before: Any, after: Any) -> Any:
    _ec2(resource_map).replace_route(
        route.route_table.id,
        after.get("DestinationCidrBlock"),
        after.get("DestinationIpv6CidrBlock"),
        after.get("DestinationPrefixListId"),
        nat_gateway_id=after.get("NatGatewayId"),
        egress_only_igw_id=after.get("EgressOnlyInternetGatewayId"),
        transit_gateway_id=after.get("TransitGatewayId"),
        gateway_id=after.get("GatewayId"),
        instance_id=after.get("InstanceId"),
        interface_id=after.get("NetworkInterfaceId"),
        vpc_peering_connection_id=after.get("VpcPeeringConnectionId"),
    )
    return route


def _retag(resource_map: ResourceMap, lid: str, model: Any, before: Any, after: Any) -> Any:
    old_tags, new_tags = (
        {tag["Key"]: tag["Value"] for tag in properties.get("Tags") or []}
        for properties in (before, after)
    )
    ec2 = _ec2(resource_map)
    ec2.delete_tags(
        [model.physical_resource_id],
        {key: value for key, value in old_tags.items() if key not in new_tags},
    )
    ec2.create_tags([model.physical_resource_id], new_tags)
    return model


def _moto_update(resource_map: ResourceMap, lid: str, model: Any, before: Any, after: Any) -> Any:
    resource_map._parsed_resources[lid] = model  # the model moto updates
    updated = parse_and_update_resource(
        lid,
        resource_map._resource_json_map[lid],
        resource_map,
        account_id=resource_map._account_id,
        region_name=resource_map._region_name,
    )
    resource_map._parsed_resources[lid] = updated or model
    return updated or model


_IN_PLACE: Mapping[str, Callable[[ResourceMap, str, Any, Any, Any], Any]] = MappingProxyType(
    {
        "route": _replace_route,
        "tags": _retag,
        "moto": _moto_update,
    }
)
