"""Resource types the local cloud creates, updates and deletes itself: a registry keyed by type.

AWS behaviour restored: CloudFormation creates every resource type of a template or fails the
stack with the reason. moto 5.2.5 skips a type it has no model for (it only logs "No Moto
CloudFormation support for <type>"), so the stack completes without the resource, and a GetAtt on
it fails the whole request with an internal error. Here a type that neither moto nor a registered
handler can create fails its resource: CREATE_FAILED "Resource type <type> is not supported by the
local cloud ...", and the stack rolls back.

A handler (`ResourceType`) creates through the local cloud's own AWS API (`cloud.loopback`), so
every fix a service package makes applies to what stacks create, as it does on AWS, where
CloudFormation calls the services' APIs. moto's CloudFormation reaches a handler through a small
class made for it (`moto_class`), found by the patched `resource_class_from_type`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.parsing import NULL_MODELS

from ..core.loopback import LoopbackClients
from .deletes import ResourceDeletes
from .events import AwsWordedError

MotoClassLookup = Callable[[str], Any]


@dataclass(frozen=True)
class Context:
    """Where a handler acts: the stack's account and region, through the cloud's own API."""

    account_id: str
    region: str
    loopback: LoopbackClients

    def client(self, service: str) -> Any:
        return self.loopback.client(service, self.region)


@dataclass
class Created:
    """A resource a handler made: what Ref and Fn::GetAtt give, and what it was made from."""

    physical_resource_id: str
    properties: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # what update and delete need to find it

    def get_cfn_attribute(self, name: str) -> Any:
        if name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[name]

    def is_created(self) -> bool:
        return True


class ResourceType:
    """How the local cloud creates, updates and deletes one resource type (subclasses say how).

    `replacing` names the properties whose change needs a new resource (AWS's "Update requires:
    Replacement"); a change to any other property is applied in place by `update`.
    """

    type_name = ""
    name_property: str | None = None
    attribute_names: frozenset[str] = frozenset()
    replacing: frozenset[str] = frozenset()
    moto_class: Any = None  # moto's model class, where a handler only changes part of it

    def has_attribute(self, name: str) -> bool:
        if self.moto_class is not None:
            return bool(self.moto_class.has_cfn_attr(name))
        return name in self.attribute_names

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, ctx: Context, model: Any, properties: dict[str, Any]) -> Any:
        """Give `model` the new `properties` in place; return the model that has them."""
        raise NotImplementedError

    def delete(self, ctx: Context, model: Any) -> None:
        raise NotImplementedError

    def replaces(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        return bool(changed & (self.replacing | {self.name_property}))


def absent_ok(call: Callable[[], Any], *codes: str) -> None:
    """Make `call`; an error with one of `codes` (the resource is already gone) is fine."""
    try:
        call()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in codes:
            raise


def moto_class(handler: ResourceType, loopback: LoopbackClients) -> type:
    """The class moto's CloudFormation calls for `handler`'s type (one per cloud and type)."""

    def context(account_id: str, region_name: str) -> Context:
        return Context(account_id, region_name, loopback)

    class Handled:
        @staticmethod
        def cloudformation_type() -> str:
            return handler.type_name

        @staticmethod
        def cloudformation_name_type() -> str | None:
            return handler.name_property

        @classmethod
        def has_cfn_attr(cls, attribute: str) -> bool:
            return handler.has_attribute(attribute)

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
            **kwargs: Any,
        ) -> Any:  # fmt: skip
            properties = cloudformation_json.get("Properties") or {}
            name = properties.get(handler.name_property or "") or resource_name
            return handler.create(context(account_id, region_name), name, properties)

        @classmethod
        def update_from_cloudformation_json(
            cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
            account_id: str, region_name: str,
        ) -> Any:  # fmt: skip
            properties = cloudformation_json.get("Properties") or {}
            return handler.update(context(account_id, region_name), original_resource, properties)

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            # reached only for a type whose delete stays moto's (see ResourceTypes.register)
            handler.moto_class.delete_from_cloudformation_json(
                resource_name, cloudformation_json, account_id, region_name
            )

        @staticmethod
        def requires_replacement(before: dict[str, Any], after: dict[str, Any]) -> bool:
            return handler.replaces(before, after)

    Handled.__name__ = Handled.__qualname__ = f"Handled[{handler.type_name}]"
    return Handled


def unsupported_class(resource_type: str) -> type:
    """The class for a type nothing can create: its resource fails, naming the type."""

    class Unsupported:
        @staticmethod
        def cloudformation_type() -> str:
            return resource_type

        @staticmethod
        def cloudformation_name_type() -> None:
            return None

        @classmethod
        def has_cfn_attr(cls, attribute: str) -> bool:
            return True  # so the template loads; the resource itself fails

        @classmethod
        def create_from_cloudformation_json(cls, *args: Any, **kwargs: Any) -> Any:
            raise AwsWordedError(
                f"Resource type {resource_type} is not supported by the local cloud: moto "
                "5.2.5 has no model for it and no package of the local cloud registers one "
                "(docs/local-cloud.md lists the supported types)"
            )

        @staticmethod
        def requires_replacement(before: dict[str, Any], after: dict[str, Any]) -> bool:
            return True

    Unsupported.__name__ = Unsupported.__qualname__ = f"Unsupported[{resource_type}]"
    return Unsupported


class ResourceTypes:
    """The handled resource types of one local cloud; their deletes join `deletes`."""

    def __init__(self, loopback: LoopbackClients, deletes: ResourceDeletes) -> None:
        self._loopback, self._deletes = loopback, deletes
        self._classes: dict[str, type] = {}

    def register(self, handler: ResourceType) -> None:
        """Create, update and delete resources of `handler.type_name` with `handler`."""
        if handler.type_name in self._classes:
            raise ValueError(
                f"a handler for {handler.type_name} is already registered: "
                "register each resource type once"
            )
        loopback = self._loopback

        def delete(model: Any, account_id: str, region: str) -> None:
            handler.delete(Context(account_id, region, loopback), model)

        if type(handler).delete is not ResourceType.delete:  # else the delete already known
            self._deletes.register(handler.type_name, delete)
        self._classes[handler.type_name] = moto_class(handler, loopback)

    def register_all(self, handlers: Iterable[ResourceType]) -> None:
        for handler in handlers:
            self.register(handler)

    def types(self) -> list[str]:
        """The handled types, in registration order."""
        return list(self._classes)

    def lookup(self, moto_lookup: MotoClassLookup) -> MotoClassLookup:
        """`resource_class_from_type`: a handled type's class, else moto's, else Unsupported."""

        def resource_class_from_type(resource_type: str) -> Any:
            handled = self._classes.get(resource_type)
            if handled is not None:
                return handled
            found = moto_lookup(resource_type)
            if found is None and resource_type not in NULL_MODELS:
                return unsupported_class(resource_type)
            return found

        return resource_class_from_type
