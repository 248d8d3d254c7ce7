"""Every CloudFormation template in the project lints clean; the core stack keeps its promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = (ROOT / "lib" / "mysfits" / "templates", ROOT / "streaming")
TEMPLATES = sorted(
    path
    for folder in TEMPLATE_DIRS
    if folder.is_dir()
    for path in folder.rglob("*")
    if path.suffix in {".yml", ".yaml", ".json"}
    and path.is_file()
    and not {"node_modules"} & set(path.relative_to(folder).parts)
    and not any(part.startswith(".") for part in path.relative_to(folder).parts)
)
CORE = ROOT / "lib" / "mysfits" / "templates" / "core.yml"
CORE_OUTPUTS = {
    "VpcId",
    "VpcCidr",
    "PublicSubnetOne",
    "PublicSubnetTwo",
    "PrivateSubnetOne",
    "PrivateSubnetTwo",
    "ServiceSecurityGroup",
    "TaskExecutionRoleArn",
    "TaskRoleArn",
    "NatGatewayCount",
}


def test_core_template_is_found() -> None:
    assert CORE in TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_cfn_lint_errors(path: Path) -> None:
    template, problems = decode(str(path))
    if not problems and not (
        isinstance(template, dict) and {"Resources", "AWSTemplateFormatVersion"} & set(template)
    ):
        pytest.skip("not a CloudFormation template (e.g. sample data or a buildspec)")
    errors = [
        f"{m.rule.id} {m.filename}:{m.linenumber} {m.message}"
        for m in lint_file(path)
        if m.rule.id.startswith("E")
    ]
    assert errors == []


@pytest.fixture(scope="module")
def core() -> dict:
    template, problems = decode(str(CORE))
    assert not problems and template is not None
    return template


def test_service_security_group_admits_only_8080_from_the_vpc(core: dict) -> None:
    groups = [r for r in core["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroup"]
    assert len(groups) == 1
    ingress = groups[0]["Properties"]["SecurityGroupIngress"]
    assert [
        (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["CidrIp"]) for rule in ingress
    ] == [("tcp", 8080, 8080, "10.0.0.0/16")]
    assert not any(
        set(rule) & {"CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId"} for rule in ingress
    )
    # No separate ingress resources widen it behind the group's back.
    assert not [
        r for r in core["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
    ]
    assert core["Resources"]["Vpc"]["Properties"]["CidrBlock"] == "10.0.0.0/16"


def test_nat_gateways_parameter_allows_exactly_one_and_two(core: dict) -> None:
    parameter = core["Parameters"]["NatGateways"]
    assert parameter["Type"] == "Number"
    assert sorted(int(value) for value in parameter["AllowedValues"]) == [1, 2]
    assert int(parameter["Default"]) == 1
    assert core["Parameters"]["Prefix"]["Default"] == "mysfits"


def test_every_output_is_exported_under_the_prefix(core: dict) -> None:
    outputs = core["Outputs"]
    assert set(outputs) == CORE_OUTPUTS
    for key, output in outputs.items():
        assert output["Export"]["Name"] == {"Fn::Sub": f"${{Prefix}}:{key}"}, key


def test_taggable_resources_carry_the_workshop_tags(core: dict) -> None:
    untaggable = {
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::Route",
        "AWS::EC2::SubnetRouteTableAssociation",
    }
    for name, resource in core["Resources"].items():
        if resource["Type"] in untaggable:
            continue
        tags = {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}
        assert tags.get("project") == "mythical-mysfits", name
        assert tags.get("workshop-prefix") == {"Ref": "Prefix"}, name


def test_roles_are_least_privilege_and_unnamed(core: dict) -> None:
    roles = {
        name: r["Properties"]
        for name, r in core["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
    }
    assert set(roles) == {"TaskExecutionRole", "TaskRole"}
    for properties in roles.values():
        assert "RoleName" not in properties
        principals = [
            s["Principal"]["Service"] for s in properties["AssumeRolePolicyDocument"]["Statement"]
        ]
        assert principals == ["ecs-tasks.amazonaws.com"]
    statements = [
        s for policy in roles["TaskRole"]["Policies"] for s in policy["PolicyDocument"]["Statement"]
    ]
    assert sorted(a for s in statements for a in s["Action"]) == [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
    ]
    assert all(s["Resource"] != "*" for s in statements)
