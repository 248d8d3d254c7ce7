"""CloudFormation on the local cloud deletes and updates stacks as on AWS (local.cloudformation)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

CORE = Path(__file__).resolve().parents[2] / "lib" / "mysfits" / "templates" / "core.yml"
FAST = {"Delay": 0.2, "MaxAttempts": 50}

BUCKET_STACK = """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  BucketName:                # uses the bucket: must go first
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "${AWS::StackName}-bucket"
      Type: String
      Value: !Ref Bucket
  Network:                   # independent of the bucket: must go although the bucket fails
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.9.0.0/16
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}
"""

IMPORTING_STACK = """
Parameters:
  Prefix: {Type: String}
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: uses the core VPC
      VpcId:
        Fn::ImportValue: !Sub "${Prefix}:VpcId"  # moto cannot read a mapping under a short-form tag
"""

IMPORTING_COUNT = """
Parameters:
  Prefix: {Type: String}
Resources:
  Count:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "${AWS::StackName}-nat-gateways"
      Type: String
      Value:
        Fn::ImportValue: !Sub "${Prefix}:NatGatewayCount"
"""


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    from mysfits.local.server import LocalCloud

    cloud = LocalCloud(0).start()
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    try:
        yield {
            "endpoint_url": cloud.endpoint_url,
            "cloud": cloud,
            **{
                name: session.client(name, endpoint_url=cloud.endpoint_url)
                for name in ("cloudformation", "ec2", "iam", "s3", "ssm")
            },
        }
    finally:
        cloud.stop()


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def create_core(cfn: Any, nat_gateways: int) -> tuple[str, str, dict[str, str]]:
    prefix, name = unique(), unique("core-")
    cfn.create_stack(
        StackName=name,
        TemplateBody=CORE.read_text(),
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[
            {"ParameterKey": "Prefix", "ParameterValue": prefix},
            {"ParameterKey": "NatGateways", "ParameterValue": str(nat_gateways)},
        ],
        Tags=[{"Key": "project", "Value": "mythical-mysfits"}],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return prefix, name, {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def physical_ids(cfn: Any, name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for resource in cfn.describe_stack_resources(StackName=name)["StackResources"]:
        found[resource["ResourceType"]].append(resource["PhysicalResourceId"])
    return found


def failure_reason(cfn: Any, stack_id: str, logical_id: str) -> str:
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    return next(
        e["ResourceStatusReason"]
        for e in events
        if e["LogicalResourceId"] == logical_id and e["ResourceStatus"] == "DELETE_FAILED"
    )


@pytest.mark.parametrize("nat_gateways", [1, 2])
def test_core_stack_deletes_completely(clients: dict[str, Any], nat_gateways: int) -> None:
    cfn, ec2, iam = clients["cloudformation"], clients["ec2"], clients["iam"]
    prefix, name, outputs = create_core(cfn, nat_gateways)

    # Outputs and exports, as the later notebooks read them.
    assert outputs["VpcCidr"] == "10.0.0.0/16"
    assert outputs["NatGatewayCount"] == str(nat_gateways)
    exports = {
        e["Name"]: e["Value"]
        for e in cfn.list_exports()["Exports"]
        if e["Name"].startswith(f"{prefix}:")
    }
    assert exports == {f"{prefix}:{key}": value for key, value in outputs.items()}
    vpc = outputs["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    subnets = ec2.describe_subnets(
        SubnetIds=[
            outputs[k]
            for k in ("PublicSubnetOne", "PublicSubnetTwo", "PrivateSubnetOne", "PrivateSubnetTwo")
        ]
    )["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    nats = ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]
    assert len(nats) == nat_gateways
    # Each private subnet routes 0.0.0.0/0 to a NAT gateway: one per zone when there are two.
    private = {outputs["PrivateSubnetOne"], outputs["PrivateSubnetTwo"]}
    targets = {
        a["SubnetId"]: r["NatGatewayId"]
        for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
        for a in table["Associations"]
        if a.get("SubnetId") in private
        for r in table["Routes"]
        if r.get("DestinationCidrBlock") == "0.0.0.0/0"
    }
    assert set(targets) == private and len(set(targets.values())) == nat_gateways
    resources = physical_ids(cfn, name)
    allocations = [a["AllocationId"] for n in nats for a in n["NatGatewayAddresses"]]
    interfaces = [a["NetworkInterfaceId"] for n in nats for a in n["NatGatewayAddresses"]]
    roles = [
        arn.rsplit("/", 1)[1] for arn in (outputs["TaskExecutionRoleArn"], outputs["TaskRoleArn"])
    ]
    assert len(resources["AWS::EC2::EIP"]) == len(allocations) == nat_gateways

    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)

    assert vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert ec2.describe_subnets(Filters=in_vpc)["Subnets"] == []
    assert {n["State"] for n in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]} <= {
        "deleted"
    }
    assert not set(allocations) & {
        a.get("AllocationId") for a in ec2.describe_addresses()["Addresses"]
    }
    assert not set(interfaces) & {
        i["NetworkInterfaceId"] for i in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    assert ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"] == []
    assert ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"] == []
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []
    gateways = ec2.describe_internet_gateways()["InternetGateways"]
    assert not set(resources["AWS::EC2::InternetGateway"]) & {
        g["InternetGatewayId"] for g in gateways
    }
    for role in roles:
        with pytest.raises(ClientError, match="NoSuchEntity"):
            iam.get_role(RoleName=role)
    assert not [e for e in cfn.list_exports()["Exports"] if e["Name"].startswith(f"{prefix}:")]

    # The stack is gone by name, listed as DELETE_COMPLETE by id, with an event per resource.
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=name)
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    completed = [
        e["LogicalResourceId"] for e in reversed(events) if e["ResourceStatus"] == "DELETE_COMPLETE"
    ]
    assert (
        len(completed) == sum(len(ids) for ids in resources.values()) + 1 and completed[-1] == name
    )
    # Reverse dependency order: whatever refers to a resource was deleted before it.
    assert (
        completed.index("PrivateRouteOne")
        < completed.index("NatGatewayOne")
        < completed.index("NatGatewayOneAddress")
        < completed.index("GatewayAttachment")
    )
    assert (
        completed.index("DynamoDbEndpoint")
        < completed.index("PrivateRouteTableOne")
        < completed.index("Vpc")
    )
    assert completed.index("GatewayAttachment") < completed.index("InternetGateway")


def test_non_empty_bucket_fails_the_delete_and_the_rest_goes(clients: dict[str, Any]) -> None:
    cfn, s3, ec2, iam, ssm = (clients[n] for n in ("cloudformation", "s3", "ec2", "iam", "ssm"))
    name = unique("bucket-")
    stack_id = cfn.create_stack(
        StackName=name, TemplateBody=BUCKET_STACK, Capabilities=["CAPABILITY_IAM"]
    )["StackId"]
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    ids = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    bucket = ids["Bucket"]
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>mysfits</h1>")

    cfn.delete_stack(StackName=name)
    with pytest.raises(WaiterError, match="DELETE_FAILED"):
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)

    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [Bucket]."
    reason = failure_reason(cfn, stack_id, "Bucket")
    assert reason.startswith(
        "The bucket you tried to delete is not empty (Service: Amazon S3; Status Code: 409; "
        "Error Code: BucketNotEmpty; Request ID: "
    )
    assert reason.endswith("; Proxy: null)")
    # Everything else went; only the bucket is left, in the stack and in S3.
    assert [
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    ] == ["Bucket"]
    s3.head_bucket(Bucket=bucket)
    assert ids["Network"] not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=ids["Role"])
    with pytest.raises(ClientError, match="ParameterNotFound"):
        ssm.get_parameter(Name=ids["BucketName"])
    # A DELETE_FAILED stack can only be deleted again.
    with pytest.raises(ClientError, match="DELETE_FAILED state and can not be updated"):
        cfn.update_stack(StackName=name, TemplateBody=BUCKET_STACK, Capabilities=["CAPABILITY_IAM"])

    s3.delete_object(Bucket=bucket, Key="index.html")
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_stack_whose_export_is_imported_is_not_deleted(clients: dict[str, Any]) -> None:
    cfn = clients["cloudformation"]
    prefix, core, outputs = create_core(cfn, 1)
    user = unique("user-")
    cfn.create_stack(
        StackName=user,
        TemplateBody=IMPORTING_STACK,
        Parameters=[{"ParameterKey": "Prefix", "ParameterValue": prefix}],
    )

    cfn.delete_stack(StackName=core)
    stack = cfn.describe_stacks(StackName=core)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert (
        stack["StackStatusReason"]
        == f"Export {prefix}:VpcId cannot be deleted as it is in use by {user}"
    )
    assert outputs["VpcId"] in [v["VpcId"] for v in clients["ec2"].describe_vpcs()["Vpcs"]]

    cfn.delete_stack(StackName=user)
    cfn.delete_stack(StackName=core)
    cfn.get_waiter("stack_delete_complete").wait(StackName=core, WaiterConfig=FAST)


def test_the_fixes_are_named_patches_that_undo_to_moto(clients: dict[str, Any]) -> None:
    from moto.cloudformation.models import CloudFormationBackend, Stack

    cloud = clients["cloud"]
    cloud.ready.wait(30)
    patched = (
        CloudFormationBackend.delete_stack,
        CloudFormationBackend.update_stack,
        Stack.stack_resources,
    )
    undone = cloud.patches.undo("cloudformation.")
    try:
        assert set(undone) == {
            "cloudformation.resource-types",
            "cloudformation.create-in-order",
            "cloudformation.delete-in-order",
            "cloudformation.update-and-rollback",
            "cloudformation.change-set-create-once",
            "cloudformation.change-set-changes",
            "cloudformation.change-set-execute",
            "cloudformation.sam-transform-create_stack",
            "cloudformation.sam-transform-update_stack",
            "cloudformation.sam-transform-create_change_set",
            "cloudformation.sam-capability-create_stack",
            "cloudformation.sam-capability-update_stack",
            "cloudformation.template-stages",
            "cloudformation.stack-resources",
            "cloudformation.subnet-association",
        }
        assert CloudFormationBackend.delete_stack is not patched[0]
        assert CloudFormationBackend.delete_stack.__module__ == "moto.cloudformation.models"
        assert CloudFormationBackend.create_stack.__module__ == "moto.cloudformation.models"
    finally:
        cloud.patches.redo("cloudformation.")
    assert (
        CloudFormationBackend.delete_stack,
        CloudFormationBackend.update_stack,
        Stack.stack_resources,
    ) == patched


def test_deleting_a_missing_stack_is_a_no_op(clients: dict[str, Any]) -> None:
    clients["cloudformation"].delete_stack(StackName=unique("never-"))


def nat_routes(ec2: Any, outputs: dict[str, str]) -> dict[str, str]:
    """Private subnet output key -> the NAT gateway its table's 0.0.0.0/0 route targets."""
    keys = {outputs[k]: k for k in ("PrivateSubnetOne", "PrivateSubnetTwo")}
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": list(keys)}]
    )
    return {
        keys[a["SubnetId"]]: r["NatGatewayId"]
        for table in tables["RouteTables"]
        for a in table["Associations"]
        if a.get("SubnetId") in keys
        for r in table["Routes"]
        if r.get("DestinationCidrBlock") == "0.0.0.0/0"
    }


def update_nat_gateways(cfn: Any, name: str, nat_gateways: int) -> list[dict[str, Any]]:
    """Update the core stack's NatGateways as a user would; this update's events, oldest first."""
    seen = len(cfn.describe_stack_events(StackName=name)["StackEvents"])
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[
            {"ParameterKey": "Prefix", "UsePreviousValue": True},
            {"ParameterKey": "NatGateways", "ParameterValue": str(nat_gateways)},
        ],
    )
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
    events = list(reversed(cfn.describe_stack_events(StackName=name)["StackEvents"]))[seen:]
    assert (
        events[0]["ResourceStatus"] == "UPDATE_IN_PROGRESS"
        and events[-1]["ResourceStatus"] == "UPDATE_COMPLETE"
    )
    return events


def steps(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]


def test_update_nat_gateways_one_to_two_and_back(clients: dict[str, Any]) -> None:
    cfn, ec2 = clients["cloudformation"], clients["ec2"]
    prefix, name, outputs = create_core(cfn, 1)
    in_vpc = [{"Name": "vpc-id", "Values": [outputs["VpcId"]]}]
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    nat_one = before["NatGatewayOne"]
    assert nat_routes(ec2, outputs) == {"PrivateSubnetOne": nat_one, "PrivateSubnetTwo": nat_one}

    # 1 -> 2: the Condition turns true, so the second address and NAT gateway are created and the
    # second private route (an !If on that Condition) now targets the new gateway. Nothing else
    # changes.
    events = update_nat_gateways(cfn, name, 2)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {
        **outputs,
        "NatGatewayCount": "2",
    }
    assert {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}[
        f"{prefix}:NatGatewayCount"
    ] == "2"
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    assert after.keys() - before.keys() == {"NatGatewayTwoAddress", "NatGatewayTwo"}
    assert {lid: after[lid] for lid in before} == before  # updated in place: same physical ids
    nat_two = after["NatGatewayTwo"]
    nats = ec2.describe_nat_gateways(Filters=[*in_vpc, {"Name": "state", "Values": ["available"]}])[
        "NatGateways"
    ]
    assert sorted(n["NatGatewayId"] for n in nats) == sorted([nat_one, nat_two])
    nat = next(n for n in nats if n["NatGatewayId"] == nat_two)
    assert nat["SubnetId"] == outputs["PublicSubnetTwo"]
    allocation = nat["NatGatewayAddresses"][0]["AllocationId"]
    assert (
        ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]["PublicIp"]
        == after["NatGatewayTwoAddress"]
    )
    assert nat_routes(ec2, outputs) == {"PrivateSubnetOne": nat_one, "PrivateSubnetTwo": nat_two}
    assert [s for s in steps(events) if s[0] != name] == [
        ("NatGatewayTwoAddress", "CREATE_IN_PROGRESS"),
        ("NatGatewayTwoAddress", "CREATE_COMPLETE"),
        ("NatGatewayTwo", "CREATE_IN_PROGRESS"),
        ("NatGatewayTwo", "CREATE_COMPLETE"),
        ("PrivateRouteTwo", "UPDATE_IN_PROGRESS"),
        ("PrivateRouteTwo", "UPDATE_COMPLETE"),
    ]
    tags = {t["Key"]: t["Value"] for t in nat["Tags"]}
    assert (
        tags["aws:cloudformation:logical-id"] == "NatGatewayTwo"
        and tags["project"] == "mythical-mysfits"
    )

    # The same parameters again: nothing to do, as AWS says.
    with pytest.raises(ClientError, match="No updates are to be performed"):
        cfn.update_stack(
            StackName=name,
            UsePreviousTemplate=True,
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[
                {"ParameterKey": "Prefix", "UsePreviousValue": True},
                {"ParameterKey": "NatGateways", "ParameterValue": "2"},
            ],
        )

    # 2 -> 1: the route goes back to the first gateway first, then cleanup deletes the second
    # gateway (its interface goes, its address is released) in reverse dependency order.
    events = update_nat_gateways(cfn, name, 1)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == outputs
    assert {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}[
        f"{prefix}:NatGatewayCount"
    ] == "1"
    assert {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    } == before
    assert (
        ec2.describe_nat_gateways(NatGatewayIds=[nat_two])["NatGateways"][0]["State"] == "deleted"
    )
    assert allocation not in {a.get("AllocationId") for a in ec2.describe_addresses()["Addresses"]}
    assert nat["NatGatewayAddresses"][0]["NetworkInterfaceId"] not in {
        i["NetworkInterfaceId"] for i in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    assert [
        n["NatGatewayId"]
        for n in ec2.describe_nat_gateways(
            Filters=[*in_vpc, {"Name": "state", "Values": ["available"]}]
        )["NatGateways"]
    ] == [nat_one]
    assert nat_routes(ec2, outputs) == {"PrivateSubnetOne": nat_one, "PrivateSubnetTwo": nat_one}
    assert [
        s for s in steps(events) if s[0] != name or s[1] == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    ] == [
        ("PrivateRouteTwo", "UPDATE_IN_PROGRESS"),
        ("PrivateRouteTwo", "UPDATE_COMPLETE"),
        (name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("NatGatewayTwo", "DELETE_IN_PROGRESS"),
        ("NatGatewayTwo", "DELETE_COMPLETE"),
        ("NatGatewayTwoAddress", "DELETE_IN_PROGRESS"),
        ("NatGatewayTwoAddress", "DELETE_COMPLETE"),
    ]

    # And the stack still deletes completely.
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    assert outputs["VpcId"] not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert {n["State"] for n in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]} <= {
        "deleted"
    }
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []
    assert not [e for e in cfn.list_exports()["Exports"] if e["Name"].startswith(f"{prefix}:")]


def test_update_that_fails_rolls_back(clients: dict[str, Any]) -> None:
    """An export another stack imports cannot change: the update rolls back what it did."""
    cfn, ec2 = clients["cloudformation"], clients["ec2"]
    prefix, name, outputs = create_core(cfn, 1)
    user = unique("user-")
    cfn.create_stack(
        StackName=user,
        TemplateBody=IMPORTING_COUNT,
        Parameters=[{"ParameterKey": "Prefix", "ParameterValue": prefix}],
    )
    try:
        cfn.update_stack(
            StackName=name,
            UsePreviousTemplate=True,
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[
                {"ParameterKey": "Prefix", "UsePreviousValue": True},
                {"ParameterKey": "NatGateways", "ParameterValue": "2"},
            ],
        )
        with pytest.raises(WaiterError, match="UPDATE_ROLLBACK_COMPLETE"):
            cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=FAST)
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        assert (
            stack["StackStatusReason"]
            == f"Export {prefix}:NatGatewayCount cannot be updated as it is in use by {user}"
        )
        assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == outputs
        assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
            "NatGateways"
        ] == "1"
        in_vpc = [{"Name": "vpc-id", "Values": [outputs["VpcId"]]}]
        nats = ec2.describe_nat_gateways(
            Filters=[*in_vpc, {"Name": "state", "Values": ["available"]}]
        )
        assert len(nats["NatGateways"]) == 1
        nat_one = nats["NatGateways"][0]["NatGatewayId"]
        assert nat_routes(ec2, outputs) == {
            "PrivateSubnetOne": nat_one,
            "PrivateSubnetTwo": nat_one,
        }
        assert "NatGatewayTwo" not in {
            r["LogicalResourceId"]
            for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
        }
    finally:
        cfn.delete_stack(StackName=user)
        cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


def test_library_updates_the_core_stack(clients: dict[str, Any]) -> None:
    """mysfits.network on the local cloud: NAT gateways 1 -> 2 -> 1, each checked, then removed."""
    import mysfits
    from mysfits import network

    ws = mysfits.connect("local", prefix=unique(), endpoint_url=clients["endpoint_url"])
    try:
        for count in (1, 2, 2, 1):
            core = network.ensure_core_stack(ws, count)
            assert core.nat_gateways == count
            check = network.check_core_network(ws, core)
            assert check.ok, check.evidence
    finally:
        assert network.delete_core_stack(ws)
