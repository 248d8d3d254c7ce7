"""The local cloud's per-type CloudFormation deletes: a registry keyed by resource type."""

from __future__ import annotations

from typing import Any

import pytest

from mysfits.local.cloudformation.deletes import ResourceDeletes, builtin_deletes


class FakeResourceMap:
    """What a delete reads from moto's ResourceMap, and a record of moto's own delete."""

    _account_id = "123456789012"
    _region_name = "eu-west-1"

    def __init__(self) -> None:
        self.moto_deleted: list[Any] = []

    def _delete_resource(self, model: Any, definition: dict[str, Any]) -> None:
        self.moto_deleted.append(model)


def test_a_registered_type_is_deleted_by_its_function() -> None:
    deletes, calls = ResourceDeletes(), []
    deletes.register(
        "AWS::Lambda::Function",
        lambda model, account, region: calls.append((model, account, region)),
    )
    resource_map = FakeResourceMap()
    deletes.delete(
        resource_map,
        "fn-model",  # type: ignore[arg-type]
        {"Type": "AWS::Lambda::Function"},
    )
    assert calls == [("fn-model", "123456789012", "eu-west-1")]
    assert resource_map.moto_deleted == []


def test_an_unregistered_type_goes_through_moto() -> None:
    resource_map = FakeResourceMap()
    ResourceDeletes().delete(
        resource_map,
        "queue",  # type: ignore[arg-type]
        {"Type": "AWS::SQS::Queue"},
    )
    assert resource_map.moto_deleted == ["queue"]


def test_a_type_registers_once() -> None:
    deletes = ResourceDeletes()
    deletes.register("AWS::Lambda::Function", lambda *_: None)
    with pytest.raises(ValueError, match="AWS::Lambda::Function is already registered"):
        deletes.register("AWS::Lambda::Function", lambda *_: None)


def test_each_cloud_has_its_own_registry() -> None:
    first, second = builtin_deletes(), builtin_deletes()
    first.register("AWS::Lambda::Function", lambda *_: None)
    assert "AWS::Lambda::Function" not in second.types()


def test_the_builtin_deletes_cover_what_moto_cannot_delete() -> None:
    assert set(builtin_deletes().types()) == {
        "AWS::S3::Bucket",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::Route",
        "AWS::EC2::RouteTable",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::InternetGateway",
    }
