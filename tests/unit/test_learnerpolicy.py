"""The learner policy: IAM actions from recorded calls, with what AWS checks beside each action."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from mysfits.apicalls import ApiCall
from mysfits.learnerpolicy import (
    MANAGED_POLICY_LIMIT,
    actions_for,
    grants_for,
    learner_policy,
    managed_parts,
    policy_size,
    render,
)

ROOT = Path(__file__).resolve().parents[2]
CORE = (ROOT / "lib" / "mysfits" / "templates" / "core.yml").read_text()
COMMITTED = ROOT / "docs" / "learner-policy.json"
# The click stream's SAM template as `sam package` sends it: its code is in S3.
STREAM = re.sub(
    r"CodeUri: .*",
    "CodeUri: s3://code-bucket/click_processor.zip",
    (ROOT / "streaming" / "template.yml").read_text(),
)


def call(service: str, operation: str, signed: bool = True, **params: object) -> ApiCall:
    return ApiCall(
        service,
        operation,
        dict(params),
        200,
        "",
        "2024-05-01T12:00:00+00:00",
        1.0,
        "us-east-1",
        signed,
    )


def statements(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (call("s3", "HeadBucket", Bucket="b"), {"s3:ListBucket"}),
        (call("s3", "HeadObject", Bucket="b", Key="k"), {"s3:GetObject"}),
        (
            call("s3", "HeadObject", Bucket="b", Key="k", VersionId="v1"),
            {"s3:GetObject", "s3:GetObjectVersion"},
        ),
        (call("s3", "ListObjectsV2", Bucket="b"), {"s3:ListBucket"}),
        (call("s3", "ListObjectVersions", Bucket="b"), {"s3:ListBucketVersions"}),
        (call("s3", "ListBuckets"), {"s3:ListAllMyBuckets"}),
        (call("s3", "PutPublicAccessBlock", Bucket="b"), {"s3:PutBucketPublicAccessBlock"}),
        (call("s3", "GetPublicAccessBlock", Bucket="b"), {"s3:GetBucketPublicAccessBlock"}),
        (
            call("s3", "DeleteObjects", Bucket="b", Delete={"Objects": [{"Key": "k"}]}),
            {"s3:DeleteObject"},
        ),
        (
            call(
                "s3",
                "DeleteObjects",
                Bucket="b",
                Delete={"Objects": [{"Key": "k", "VersionId": "v"}]},
            ),
            {"s3:DeleteObject", "s3:DeleteObjectVersion"},
        ),
        (call("s3", "PutBucketPolicy", Bucket="b", Policy="{}"), {"s3:PutBucketPolicy"}),
        (call("s3", "GetBucketLocation", Bucket="b"), {"s3:GetBucketLocation"}),
        (call("elbv2", "DescribeTargetHealth"), {"elasticloadbalancing:DescribeTargetHealth"}),
        (
            call("elbv2", "CreateLoadBalancer", Name="n", Tags=[{"Key": "k", "Value": "v"}]),
            {"elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:AddTags"},
        ),
        (
            call("ecs", "CreateCluster", clusterName="c", tags=[{"key": "k", "value": "v"}]),
            {"ecs:CreateCluster", "ecs:TagResource"},
        ),
        (call("ecs", "CreateCluster", clusterName="c"), {"ecs:CreateCluster"}),
        (
            call("logs", "CreateLogGroup", logGroupName="/g", tags={"k": "v"}),
            {"logs:CreateLogGroup", "logs:TagResource"},
        ),
        (
            call("iam", "CreateRole", RoleName="r", Tags=[{"Key": "k", "Value": "v"}]),
            {"iam:CreateRole", "iam:TagRole"},
        ),
        (call("ecr", "GetAuthorizationToken"), {"ecr:GetAuthorizationToken"}),
        (
            call("ecr", "PutImage", repositoryName="r"),
            {"ecr:PutImage", "ecr:GetAuthorizationToken"},
        ),
        (call("ecr", "UploadLayerPart", repositoryName="r"), {"ecr:UploadLayerPart"}),
        (call("sts", "GetCallerIdentity"), set()),
        (call("apigateway", "GetRestApis"), {"apigateway:GET"}),
        (call("cognito-idp", "SignUp", ClientId="c"), set()),
        (call("cognito-idp", "InitiateAuth", ClientId="c"), set()),
        (call("cognito-idp", "AdminGetUser", UserPoolId="p"), {"cognito-idp:AdminGetUser"}),
        (call("apigateway", "ImportRestApi", body="<1 bytes>"), {"apigateway:POST"}),
        (call("apigateway", "PutRestApi", restApiId="a", mode="overwrite"), {"apigateway:PUT"}),
        (call("apigateway", "UpdateStage", restApiId="a", stageName="p"), {"apigateway:PATCH"}),
        (call("apigateway", "DeleteRestApi", restApiId="a"), {"apigateway:DELETE"}),
        (
            call("apigateway", "CreateVpcLink", name="l", targetArns=["arn"], tags={"k": "v"}),
            {
                "apigateway:POST",
                "apigateway:PUT",
                "ec2:CreateVpcEndpointServiceConfiguration",
                "ec2:DescribeVpcEndpointServiceConfigurations",
                "ec2:ModifyVpcEndpointServicePermissions",
                "elasticloadbalancing:DescribeLoadBalancers",
            },
        ),
        (
            call("ec2", "CreateSecurityGroup", GroupName="g", TagSpecifications=[{"Tags": []}]),
            {"ec2:CreateSecurityGroup", "ec2:CreateTags"},
        ),
    ],
)
def test_each_call_maps_to_its_iam_actions(recorded: ApiCall, expected: set[str]) -> None:
    assert actions_for(recorded) == expected


def test_anonymous_calls_need_no_policy() -> None:
    policy = learner_policy([call("s3", "GetObject", signed=False, Bucket="b", Key="k")])
    assert policy == {"Version": "2012-10-17", "Statement": []}


def test_roles_may_be_passed_only_to_the_services_the_workshop_hands_them_to() -> None:
    policy = learner_policy(
        [
            call(
                "ecs",
                "RegisterTaskDefinition",
                family="f",
                executionRoleArn="arn:aws:iam::1:role/exec",
            ),
            call("codebuild", "CreateProject", name="p", serviceRole="arn:aws:iam::1:role/build"),
            call(
                "codepipeline",
                "CreatePipeline",
                pipeline={"name": "p", "roleArn": "arn:aws:iam::1:role/pipe"},
            ),
            call("ecs", "RegisterTaskDefinition", family="no-roles"),
        ]
    )
    passing = statements(policy)["PassRolesToWorkshopServices"]
    assert passing["Action"] == ["iam:PassRole"]
    assert passing["Condition"] == {
        "StringEquals": {
            "iam:PassedToService": [
                "codebuild.amazonaws.com",
                "codepipeline.amazonaws.com",
                "ecs-tasks.amazonaws.com",
            ]
        }
    }


def test_no_pass_role_without_a_role() -> None:
    assert "PassRolesToWorkshopServices" not in statements(
        learner_policy([call("ecs", "RegisterTaskDefinition")])
    )


def test_first_ecs_and_load_balancer_create_their_service_linked_roles() -> None:
    policy = learner_policy(
        [call("ecs", "CreateService"), call("elbv2", "CreateLoadBalancer", Name="n")]
    )
    linked = statements(policy)["CreateServiceLinkedRoles"]
    assert linked["Condition"]["StringEquals"]["iam:AWSServiceName"] == [
        "ecs.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
    ]


def test_a_stack_needs_what_cloudformation_does_with_the_callers_credentials() -> None:
    created = statements(
        learner_policy([call("cloudformation", "CreateStack", StackName="s", TemplateBody=CORE)])
    )
    through = set(created["ResourcesCloudFormationCreatesForYou"]["Action"])
    assert {
        "ec2:CreateVpc",
        "ec2:CreateNatGateway",
        "ec2:AllocateAddress",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "ec2:DescribeAvailabilityZones",
    } <= through  # the last for !GetAZs
    assert "ec2:DeleteVpc" not in through
    deleted = learner_policy(
        [
            call("cloudformation", "CreateStack", StackName="s", TemplateBody=CORE),
            call("cloudformation", "DeleteStack", StackName="s"),
        ]
    )
    assert {"ec2:DeleteVpc", "iam:DeleteRole"} <= set(
        statements(deleted)["ResourcesCloudFormationCreatesForYou"]["Action"]
    )


def stream_change_set(*operations: str) -> list[ApiCall]:
    created = call(
        "cloudformation",
        "CreateChangeSet",
        StackName="s",
        TemplateBody=STREAM,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    return [created, *(call("cloudformation", operation) for operation in operations)]


def test_a_sam_template_needs_what_its_expanded_resources_need() -> None:
    planned = statements(learner_policy(stream_change_set()))
    assert "ResourcesCloudFormationCreatesForYou" not in planned  # a plan creates nothing
    executed = statements(learner_policy(stream_change_set("ExecuteChangeSet")))
    through = set(executed["ResourcesCloudFormationCreatesForYou"]["Action"])
    # AWS::Serverless::Function is made an AWS::Lambda::Function by the transform
    assert {
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "firehose:CreateDeliveryStream",
        "apigateway:POST",
        "logs:PutRetentionPolicy",
        "s3:PutBucketVersioning",
    } <= through
    assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9]+", a) for a in through)  # no S3 log names


def test_a_stacks_roles_are_passed_only_to_the_services_its_resources_give_them_to() -> None:
    policy = learner_policy(stream_change_set("ExecuteChangeSet"))
    granted = [s for s in policy["Statement"] if "iam:PassRole" in s["Action"]]
    assert [s["Sid"] for s in granted] == ["PassRolesToWorkshopServices"]  # never unconditioned
    assert granted[0]["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "apigateway.amazonaws.com",  # the integration's credentials
        "firehose.amazonaws.com",  # the delivery stream's role
        "lambda.amazonaws.com",  # the processor's execution role
    ]
    deleting = learner_policy([*stream_change_set(), call("cloudformation", "DeleteStack")])
    assert "PassRolesToWorkshopServices" not in statements(deleting)


def test_actions_granted_directly_are_not_repeated_for_the_stack() -> None:
    policy = learner_policy(
        [
            call("cloudformation", "CreateStack", StackName="s", TemplateBody=CORE),
            call("iam", "CreateRole", RoleName="r"),
        ]
    )
    assert "iam:CreateRole" in statements(policy)["Iam"]["Action"]
    assert (
        "iam:CreateRole" not in statements(policy)["ResourcesCloudFormationCreatesForYou"]["Action"]
    )


def test_the_policy_is_deterministic_whatever_the_call_order() -> None:
    calls = [
        call("s3", "PutObject", Bucket="b", Key="k"),
        call("ecs", "CreateService"),
        call("s3", "CreateBucket"),
        call("cloudformation", "CreateStack", StackName="s", TemplateBody=CORE),
        call("logs", "CreateLogGroup"),
    ]
    shuffled = calls[:]
    random.Random(7).shuffle(shuffled)
    assert render(learner_policy(calls)) == render(learner_policy(shuffled))
    assert [s["Sid"] for s in learner_policy(calls)["Statement"]][:4] == [
        "Cloudformation",
        "Ecs",
        "Logs",
        "S3",
    ]


def test_the_committed_policy_is_a_valid_managed_policy() -> None:
    policy = json.loads(COMMITTED.read_text())
    assert set(policy) == {"Version", "Statement"} and policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(sid.isalnum() for sid in sids)
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {
        "s3:PutBucketPolicy",
        "cloudformation:CreateStack",
        "ecs:RegisterTaskDefinition",
        "ecs:CreateService",
        "dynamodb:CreateTable",
        "codepipeline:CreatePipeline",
        "iam:PassRole",
    } <= actions
    assert all(a.count(":") == 1 and "*" not in a for a in actions)


def test_the_committed_parts_are_managed_policies_that_grant_the_whole_policy() -> None:
    policy = json.loads(COMMITTED.read_text())
    committed = sorted(COMMITTED.parent.glob(f"{COMMITTED.stem}-part-*.json"))
    parts = [json.loads(path.read_text()) for path in committed]
    assert parts == managed_parts(policy), "regenerate with `mysfits learner-policy --write`"
    assert all(policy_size(part) <= MANAGED_POLICY_LIMIT for part in parts)
    assert [s for part in parts for s in part["Statement"]] == policy["Statement"]


def test_a_policy_over_the_limit_is_cut_into_parts_that_fit() -> None:
    actions = [f"ec2:Describe{'Thing' * 3}{n}" for n in range(900)]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Small", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
            {"Sid": "Ec2", "Effect": "Allow", "Action": actions, "Resource": "*"},
        ],
    }
    assert policy_size(policy) > MANAGED_POLICY_LIMIT
    parts = managed_parts(policy)
    assert len(parts) > 1 and all(policy_size(p) <= MANAGED_POLICY_LIMIT for p in parts)
    granted = [a for part in parts for s in part["Statement"] for a in s["Action"]]
    assert granted == ["s3:GetObject", *actions]
    sids = [s["Sid"] for part in parts for s in part["Statement"]]
    assert len(sids) == len(set(sids))
    assert managed_parts({**policy, "Statement": policy["Statement"][:1]}) == [
        {**policy, "Statement": policy["Statement"][:1]}
    ]


def test_a_resource_that_passes_roles_in_an_unknown_way_is_reported() -> None:
    template = json.dumps({"Resources": {"P": {"Type": "AWS::StepFunctions::StateMachine"}}})
    grants = grants_for([call("cloudformation", "CreateStack", TemplateBody=template)])
    assert grants.unknown_types == {"AWS::StepFunctions::StateMachine"}
    assert "iam:PassRole" not in grants.through_stacks
