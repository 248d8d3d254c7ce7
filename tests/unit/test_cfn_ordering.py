"""The local cloud's CloudFormation order: what refers to what, delete and create order, circles."""

from __future__ import annotations

from typing import Any

import pytest

from mysfits.local.cloudformation.ordering import (
    CircularDependency,
    circular,
    dependencies,
    dependents_first,
    find,
    references,
    require_acyclic,
)

# A small network stack: every way a resource can refer to another, plus a parameter and a
# pseudo parameter that are not resources.
TEMPLATE: dict[str, Any] = {
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "Cidr"}}},
    "Gateway": {"Type": "AWS::EC2::InternetGateway"},
    "Attachment": {
        "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}},
    },
    "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
    "Route": {
        "Type": "AWS::EC2::Route",
        "DependsOn": "Attachment",
        "Properties": {"RouteTableId": {"Ref": "Table"}, "GatewayId": {"Ref": "Gateway"}},
    },
    "Address": {"Type": "AWS::EC2::EIP", "DependsOn": ["Attachment"]},
    "Nat": {
        "Type": "AWS::EC2::NatGateway",
        "Properties": {"AllocationId": {"Fn::GetAtt": ["Address", "AllocationId"]}},
    },
    "Name": {
        "Type": "AWS::SSM::Parameter",
        "Properties": {"Value": {"Fn::Sub": "${AWS::StackName}-${Nat}-${Vpc.CidrBlock}"}},
    },
}
RESOURCES = list(TEMPLATE)


def uses() -> dict[str, set[str]]:
    return dependencies(TEMPLATE, RESOURCES, conditions={})


def test_each_kind_of_reference_counts() -> None:
    assert uses() == {
        "Vpc": set(),  # Ref Cidr is a parameter, not a resource
        "Gateway": set(),
        "Attachment": {"Vpc", "Gateway"},  # Ref
        "Table": {"Vpc"},
        "Route": {"Attachment", "Table", "Gateway"},  # DependsOn as a string, and Ref
        "Address": {"Attachment"},  # DependsOn as a list
        "Nat": {"Address"},  # Fn::GetAtt
        "Name": {"Nat", "Vpc"},  # Fn::Sub, plain and with an attribute; AWS::StackName is not one
    }


def test_delete_order_puts_every_user_before_what_it_uses() -> None:
    order = dependents_first(uses())
    assert sorted(order) == sorted(RESOURCES)
    for user, used in uses().items():
        for lid in used:
            assert order.index(user) < order.index(lid), f"{user} must go before {lid}"


def test_create_order_is_the_reverse() -> None:
    order = list(reversed(dependents_first(uses())))
    assert order.index("Vpc") < order.index("Attachment") < order.index("Route")
    assert order.index("Address") < order.index("Nat") < order.index("Name")


def test_unrelated_resources_keep_template_order_last_first() -> None:
    assert dependents_first({"A": set(), "B": set(), "C": set()}) == ["C", "B", "A"]
    assert dependents_first({"A": set(), "B": {"A"}, "C": set()}) == ["C", "B", "A"]
    assert dependents_first({"A": set(), "B": set(), "C": {"A"}}) == ["C", "B", "A"]
    assert dependents_first({"A": set(), "B": {"C"}, "C": set()}) == ["B", "C", "A"]


def test_fn_get_att_in_its_dotted_form() -> None:
    assert references({"Fn::GetAtt": "Bucket.Arn"}, {}) == {"Bucket"}


def test_fn_sub_literals_and_variables() -> None:
    text = "${!NotARef}-${Local}-${Bucket}"
    fragment = {"Fn::Sub": [text, {"Local": {"Fn::GetAtt": ["Queue", "Arn"]}}]}
    # ${!...} is literal text and ${Local} names the variable, which refers to the queue.
    assert references(fragment, {}) == {"Bucket", "Queue"}


def test_fn_if_counts_only_the_chosen_branch() -> None:
    fragment = {"Fn::If": ["TwoNats", {"Ref": "NatTwo"}, {"Ref": "NatOne"}]}
    assert references(fragment, {"TwoNats": True}) == {"NatTwo"}
    assert references(fragment, {"TwoNats": False}) == {"NatOne"}
    # A condition that cannot be evaluated: either branch may be taken.
    assert references(fragment, {}) == {"NatTwo", "NatOne"}


def test_references_are_found_deep_in_lists_and_maps() -> None:
    tag = {"Key": "k", "Value": {"Fn::Join": ["-", [{"Ref": "A"}]]}}
    fragment = {"Properties": {"Tags": [tag]}}
    assert references(fragment, {}) == {"A"}


def test_a_resource_referring_to_itself_is_not_its_own_dependency() -> None:
    definitions = {"Group": {"Properties": {"SourceGroupId": {"Ref": "Group"}}}}
    assert dependencies(definitions, ["Group"], {}) == {"Group": set()}


def test_only_resources_among_those_given_count() -> None:
    # Resources outside `among` (not created, or already gone) order nothing.
    assert dependencies(TEMPLATE, ["Route", "Table"], {}) == {"Route": {"Table"}, "Table": set()}


def test_a_template_without_circles_passes() -> None:
    require_acyclic(uses())
    assert circular(uses()) == []


def test_a_circle_names_its_resources_as_aws_does() -> None:
    definitions: dict[str, Any] = {
        "User": {"Properties": {"Value": {"Ref": "A"}}},  # uses the circle, is not on it
        "A": {"Properties": {"Value": {"Fn::GetAtt": ["B", "Arn"]}}},
        "B": {"DependsOn": "C", "Properties": {"Value": {"Ref": "Used"}}},
        "C": {"Properties": {"Value": {"Fn::Sub": "${A}"}}},
        "Used": {},  # the circle uses it; it is not on it
        "Alone": {},
    }
    graph = dependencies(definitions, list(definitions), {})
    with pytest.raises(CircularDependency) as raised:
        require_acyclic(graph)
    assert str(raised.value) == "Circular dependency between resources: [A, B, C]"
    assert raised.value.resources == ["A", "B", "C"]


def test_a_circle_through_depends_on_only() -> None:
    graph = dependencies({"A": {"DependsOn": ["B"]}, "B": {"DependsOn": "A"}}, ["A", "B"], {})
    assert circular(graph) == ["A", "B"]


def test_a_circle_on_a_branch_not_taken_is_no_circle() -> None:
    definitions = {
        "A": {"Properties": {"V": {"Fn::If": ["On", {"Ref": "B"}, "none"]}}},
        "B": {"Properties": {"V": {"Ref": "A"}}},
    }
    assert circular(dependencies(definitions, ["A", "B"], {"On": False})) == []
    assert circular(dependencies(definitions, ["A", "B"], {"On": True})) == ["A", "B"]


def test_find_every_import() -> None:
    template = {
        "Resources": {
            "G": {
                "Properties": {
                    "VpcId": {"Fn::ImportValue": "p:VpcId"},
                    "Ids": [{"Fn::ImportValue": "p:Subnet"}],
                }
            }
        }
    }
    assert find(template, "Fn::ImportValue") == ["p:VpcId", "p:Subnet"]
