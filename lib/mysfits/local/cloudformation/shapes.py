"""A template's property values in the types an AWS API expects.

AWS behaviour restored: CloudFormation converts property values to the types of the resource's
schema, so `SizeInMBs: !Ref Size` (a parameter, hence the string "5") reaches Firehose as the
integer 5, and "true" as a boolean. The handlers call the local cloud's API with boto3, whose
parameter validation would refuse the strings (and the numbers moto makes of Number parameters
where the API takes a string); `to_shape` converts them by the operation's model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.model import Shape


def to_shape(value: Any, shape: Shape) -> Any:
    """`value` converted where `shape` (a botocore input shape) wants a number or a boolean."""
    convert = _CONTAINERS.get(shape.type_name)
    if convert is not None:
        return convert(value, shape)
    if isinstance(value, str):
        return _from_text(value, shape.type_name)
    if shape.type_name == "string" and isinstance(value, bool | int | float):
        # a Number parameter, which moto resolves to a number, where the API takes a string
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def _structure(value: Any, shape: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {
        key: to_shape(item, shape.members[key]) if key in shape.members else item
        for key, item in value.items()
    }


def _list(value: Any, shape: Any) -> Any:
    return [to_shape(item, shape.member) for item in value] if isinstance(value, list) else value


def _map(value: Any, shape: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {key: to_shape(item, shape.value) for key, item in value.items()}


_CONTAINERS: dict[str, Callable[[Any, Any], Any]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
}


def _from_text(value: str, kind: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
    except ValueError:
        return value  # boto3 reports it, in AWS's words
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def request(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """`params` for `client`'s `operation` (its API name, e.g. "CreateDeliveryStream")."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    return to_shape(params, shape)
