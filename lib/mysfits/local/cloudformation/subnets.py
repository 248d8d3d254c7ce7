"""A stack's subnet route table association really associates the subnet with the table.

AWS behaviour restored: an AWS::EC2::SubnetRouteTableAssociation makes the subnet use the route
table (DescribeRouteTables lists the association, with its id). moto 5.2.5 only records it on the
CloudFormation side, so EC2 keeps routing the subnet through the VPC's main table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ec2.models import ec2_backends


def associating(original: Callable[..., Any]) -> classmethod[Any, ..., Any]:
    """Wrap moto's `create_from_cloudformation_json` (bound) so that EC2 knows the association."""

    def create_from_cloudformation_json(
        cls: type,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        association = original(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        association.association_id = ec2_backends[account_id][region_name].associate_route_table(
            association.route_table_id, subnet_id=association.subnet_id
        )
        return association

    return classmethod(create_from_cloudformation_json)
