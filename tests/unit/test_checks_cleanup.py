"""check_nothing_left fails while anything of the prefix remains, passes once nothing does."""

from __future__ import annotations

from mysfits import cleanup, website
from mysfits.workshop import Workshop


def test_nothing_left_passes_on_an_account_without_the_workshop(ws: Workshop) -> None:
    ws.client("s3").create_bucket(
        Bucket="someone-elses-bucket"
    )  # not ours: no workshop name, no tag
    check = cleanup.check_nothing_left(ws)
    assert check.ok and check.evidence == "no resources found"


def test_nothing_left_fails_while_the_site_bucket_remains(ws: Workshop) -> None:
    website.ensure_site_bucket(ws)
    check = cleanup.check_nothing_left(ws)
    assert not check.ok and check.evidence == f"s3 bucket {ws.names.site_bucket}"


def test_nothing_left_fails_while_a_tagged_nat_gateway_bills(ws: Workshop) -> None:
    ec2 = ws.client("ec2")
    tags = [{"ResourceType": kind, "Tags": ws.tag_list()} for kind in ("vpc", "natgateway")]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags[:1])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    address = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(
        SubnetId=subnet, AllocationId=address["AllocationId"], TagSpecifications=tags[1:]
    )["NatGateway"]["NatGatewayId"]
    check = cleanup.check_nothing_left(ws)
    assert not check.ok
    assert check.evidence == f"vpc {vpc}, nat gateway {nat}, elastic ip {address['PublicIp']}"
