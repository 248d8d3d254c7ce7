"""How a stack deletes each type of resource: a registry keyed by resource type.

AWS behaviour restored: deleting a stack's resource removes it. NAT gateways turn `deleted` (their
interface goes, their address is disassociated), addresses are released, VPC endpoints, routes,
route table associations, route tables, internet gateways and their attachments disappear; a
non-empty bucket is not deleted: "The bucket you tried to delete is not empty (Service: Amazon S3;
Status Code: 409; Error Code: BucketNotEmpty; ...)". moto 5.2.5 has no delete for those EC2 types
and drops them from the stack while they live on, and drops a non-empty bucket as if deleted.

A type with no registered delete goes through moto's own. Another service package adds its types
(Lambda, Firehose, API Gateway, Cognito, ...) from its `register(cloud)`:
`cloud.services["cloudformation"].deletes.register("AWS::Lambda::Function", delete_function)`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import Stack
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.models import ec2_backends
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .events import AwsWordedError

# Deletes one resource: (its moto model, account id, region). Raises what AWS would report.
ResourceDelete = Callable[[Any, str, str], None]


class ResourceDeletes:
    """The deletes of one local cloud, by CloudFormation resource type."""

    def __init__(self) -> None:
        self._by_type: dict[str, ResourceDelete] = {}

    def register(self, resource_type: str, delete: ResourceDelete) -> None:
        """Delete resources of `resource_type` (e.g. "AWS::Lambda::Function") with `delete`."""
        if resource_type in self._by_type:
            raise ValueError(
                f"a delete for {resource_type} is already registered: "
                "register each resource type once"
            )
        self._by_type[resource_type] = delete

    def types(self) -> list[str]:
        """The resource types with a registered delete, in registration order."""
        return list(self._by_type)

    def delete(self, resource_map: ResourceMap, model: Any, definition: dict[str, Any]) -> None:
        """Delete one resource of `resource_map` (its template `definition`), as AWS does."""
        delete = self._by_type.get(definition["Type"])
        if delete is None:
            _moto_delete(resource_map, model, definition)
        else:
            delete(model, resource_map._account_id, resource_map._region_name)


def builtin_deletes() -> ResourceDeletes:
    """The deletes the workshop's stacks need: S3 buckets and EC2 networking."""
    deletes = ResourceDeletes()
    deletes.register("AWS::S3::Bucket", delete_bucket)
    for resource_type, delete in _EC2_DELETES:
        deletes.register(resource_type, _in_ec2(delete))
    return deletes


def _moto_delete(resource_map: ResourceMap, model: Any, definition: dict[str, Any]) -> None:
    resource_map._delete_resource(model, definition)
    if isinstance(model, Stack) and model.status == "DELETE_FAILED":
        # AWS fails the nested stack's resource in its parent; moto carries on as if it went.
        raise RuntimeError(
            f"Embedded stack {model.stack_id} was not successfully deleted: "
            f"{getattr(model, 'status_reason', None)}"
        )


class BucketNotEmpty(AwsWordedError):
    """S3 refused to delete a bucket that still holds objects (409 BucketNotEmpty)."""

    def __init__(self) -> None:
        request_id = os.urandom(8).hex().upper()
        extended_id = base64.b64encode(os.urandom(57)).decode()
        super().__init__(
            "The bucket you tried to delete is not empty (Service: Amazon S3; "
            f"Status Code: 409; Error Code: BucketNotEmpty; Request ID: {request_id}; "
            f"S3 Extended Request ID: {extended_id}; Proxy: null)"
        )


def delete_bucket(bucket: Any, account_id: str, region: str) -> None:
    # moto's delete_bucket answers None, rather than raising, when the bucket is not empty.
    if s3_backends[account_id][get_partition(region)].delete_bucket(bucket.name) is None:
        raise BucketNotEmpty()


def _in_ec2(delete: Callable[[Any, Any], None]) -> ResourceDelete:
    """A delete given the region's EC2 backend, as a registry delete."""

    def delete_in_region(model: Any, account_id: str, region: str) -> None:
        delete(ec2_backends[account_id][region], model)

    return delete_in_region


def _delete_nat_gateway(ec2: Any, nat: Any) -> None:
    if nat.id not in ec2.nat_gateways or nat.state == "deleted":
        return
    ec2.delete_nat_gateway(nat.id)
    for address in list(ec2.addresses):
        if address.eni is nat._eni:
            ec2.disassociate_address(address=address.public_ip)
    ec2.enis.pop(nat._eni.id, None)


def _release_address(ec2: Any, address: Any) -> None:
    if address.allocation_id:
        ec2.release_address(allocation_id=address.allocation_id)
    else:  # an EC2-Classic style address has only its public IP
        ec2.release_address(address=address.public_ip)


def _delete_vpc_endpoint(ec2: Any, endpoint: Any) -> None:
    ec2.delete_vpc_endpoints([endpoint.id])
    ec2.vpc_end_points.pop(endpoint.id, None)  # moto only marks it deleted


def _delete_route(ec2: Any, route: Any) -> None:
    prefix_list = getattr(route.destination_prefix_list, "id", None)
    ec2.delete_route(
        route.route_table.id,
        route.destination_cidr_block,
        route.destination_ipv6_cidr_block,
        prefix_list,
    )


def _delete_route_table(ec2: Any, table: Any) -> None:
    ec2.delete_route_table(table.id)


def _delete_association(ec2: Any, association: Any) -> None:
    ec2.subnet_associations.pop(f"{association.route_table_id}:{association.subnet_id}", None)
    if getattr(association, "association_id", None):  # set by the subnet-association fix
        ec2.disassociate_route_table(association.association_id)


def _detach_gateway(ec2: Any, attachment: Any) -> None:
    if attachment.gateway_id.startswith("igw-"):
        ec2.detach_internet_gateway(attachment.gateway_id, attachment.vpc_id)
    else:
        ec2.detach_vpn_gateway(attachment.gateway_id, attachment.vpc_id)


def _delete_internet_gateway(ec2: Any, gateway: Any) -> None:
    ec2.delete_internet_gateway(gateway.id)


_EC2_DELETES: tuple[tuple[str, Callable[[Any, Any], None]], ...] = (
    ("AWS::EC2::NatGateway", _delete_nat_gateway),
    ("AWS::EC2::EIP", _release_address),
    ("AWS::EC2::VPCEndpoint", _delete_vpc_endpoint),
    ("AWS::EC2::Route", _delete_route),
    ("AWS::EC2::RouteTable", _delete_route_table),
    ("AWS::EC2::SubnetRouteTableAssociation", _delete_association),
    ("AWS::EC2::VPCGatewayAttachment", _detach_gateway),
    ("AWS::EC2::InternetGateway", _delete_internet_gateway),
)
