"""An excerpt of a CloudFormation template that says what each part is for.

Read from the template itself: its Description, the comments above each resource, each
resource's own Description, and, where those are silent, what the resource type is for.
"""

from __future__ import annotations

import re
from typing import Any

# What a resource of each type is for, where the template says nothing about it.
TYPE_PURPOSE = {
    "AWS::EC2::VPC": "the private network everything else lives in",
    "AWS::EC2::Subnet": "a slice of the VPC in one Availability Zone",
    "AWS::EC2::InternetGateway": "the VPC's door to the internet",
    "AWS::EC2::VPCGatewayAttachment": "attaches the internet gateway to the VPC",
    "AWS::EC2::RouteTable": "the routes of the subnets associated with it",
    "AWS::EC2::Route": "one route: a destination and where to send it",
    "AWS::EC2::SubnetRouteTableAssociation": "which route table a subnet uses",
    "AWS::EC2::EIP": "a fixed public IPv4 address (billed per hour)",
    "AWS::EC2::NatGateway": "lets private subnets reach the internet, not the reverse (hourly)",
    "AWS::EC2::VPCEndpoint": "reaches an AWS service without leaving the AWS network",
    "AWS::EC2::SecurityGroup": "a stateful firewall around network interfaces",
    "AWS::IAM::Role": "an identity a service assumes, with the permissions its policies grant",
}
_HEADER = re.compile(r"^  ([A-Za-z0-9]+):\s*(?:#.*)?$")
_SECTION = re.compile(r"^\s*#\s*-{3,}\s*(.*)$")
_COMMENT = re.compile(r"^\s*#\s?(.*)$")


def _comments(lines: list[str]) -> dict[str, tuple[str, str]]:
    """Per resource: the section it is in and the comment lines right above it."""
    found: dict[str, tuple[str, str]] = {}
    section, inside = "", False
    above: list[str] = []
    for line in lines:
        if not line.startswith((" ", "#")) and line.strip():
            inside = line.startswith("Resources:")
            section, above = "", []
            continue
        if not inside:
            continue
        if (match := _SECTION.match(line)) is not None:
            section, above = match.group(1).strip(), []
        elif (match := _COMMENT.match(line)) is not None and line.startswith("  #"):
            above.append(match.group(1).strip())
        elif (match := _HEADER.match(line)) is not None:
            found[match.group(1)] = (section, " ".join(above))
            above = []
    return found


def _said(value: Any) -> str:
    """A property as text: a plain string, or the string inside !Sub."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        value = value["Fn::Sub"]
    return " ".join(value.split()) if isinstance(value, str) else ""


def _facts(properties: dict[str, Any]) -> str:
    """The address range and Name tag, which tell resources of one type apart."""
    names = [
        _said(t.get("Value"))
        for t in properties.get("Tags") or []
        if isinstance(t, dict) and t.get("Key") == "Name"
    ]
    facts = [_said(properties.get("CidrBlock")), *names]
    return ", ".join(f for f in facts if f)


def _purpose(resource: dict[str, Any], comment: str) -> str:
    properties = resource.get("Properties") or {}
    own = _said(properties.get("Description")) or _said(properties.get("GroupDescription"))
    purpose = own or comment or TYPE_PURPOSE.get(resource.get("Type", ""), "")
    facts, condition = _facts(properties), resource.get("Condition")
    return (
        purpose
        + (f" ({facts})" if facts else "")
        + (f" [only if {condition}]" if condition else "")
    )


def _resource_lines(
    resources: dict[str, Any], comments: dict[str, tuple[str, str]], width: int
) -> list[str]:
    kinds = max(len(str(r.get("Type", ""))) for r in resources.values())
    lines, current = [], None
    for name, resource in resources.items():
        section, comment = comments.get(name, ("", ""))
        if section != current:
            lines.append(f"{section or 'resources'}:")
            current = section
        kind = str(resource.get("Type", ""))
        lines.append(f"  {name:{width}}  {kind:{kinds}}  {_purpose(resource, comment)}")
    return lines


def excerpt(template_body: str) -> str:
    """Description, resources by section with what each is for, and the outputs."""
    from cfnlint.decode import (
        decode_str,
    )  # cfn-lint takes ~0.6 s to import: only when a stack is sent

    template, problems = decode_str(template_body)
    if problems or not isinstance(template, dict) or not template.get("Resources"):
        return ""
    resources, outputs = template["Resources"], template.get("Outputs") or {}
    width = max(len(name) for name in [*resources, *outputs])
    lines = [_said(template.get("Description")), ""]
    lines += _resource_lines(resources, _comments(template_body.splitlines()), width)
    lines += ["", "outputs (what later steps read):"] if outputs else []
    lines += [f"  {name:{width}}  {_said(o.get('Description'))}" for name, o in outputs.items()]
    return "\n".join(lines).strip()
