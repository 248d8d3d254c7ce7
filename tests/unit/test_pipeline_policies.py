"""The pipeline's IAM policies grant each role only what its job needs."""

from __future__ import annotations

from mysfits import pipeline
from mysfits.images import Repository
from mysfits.names import ResourceNames
from mysfits.network import CoreNetwork

NAMES = ResourceNames("mysfits", "123456789012", "eu-west-1")


class FakeWorkshop:
    """Just what the policy builders read: names, account and region."""

    names, account_id, region, prefix = NAMES, "123456789012", "eu-west-1", "mysfits"


REPOSITORY = Repository(
    "mysfits/service",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mysfits/service",
    "arn:aws:ecr:eu-west-1:123456789012:repository/mysfits/service",
)
CORE = CoreNetwork(
    "mysfits-core",
    "vpc-1",
    "10.0.0.0/16",
    ("a", "b"),
    ("c", "d"),
    "sg-1",
    "arn:aws:iam::123456789012:role/exec",
    "arn:aws:iam::123456789012:role/task",
    1,
)


def statements(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}


def test_build_role_pushes_to_one_repository_only() -> None:
    granted = statements(pipeline.build_policy(FakeWorkshop(), REPOSITORY))  # type: ignore[arg-type]
    wildcard = [sid for sid, s in granted.items() if s["Resource"] == "*"]
    assert (
        wildcard == ["RegistryLogin"]
        and granted["RegistryLogin"]["Action"] == "ecr:GetAuthorizationToken"
    )
    assert granted["PushImage"]["Resource"] == REPOSITORY.arn
    assert (
        granted["Artifacts"]["Resource"]
        == "arn:aws:s3:::mysfits-artifacts-123456789012-eu-west-1/*"
    )
    log_group = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/mysfits-service-build"
    assert granted["Logs"]["Resource"] == [log_group, f"{log_group}:*"]
    assert not any(
        "Delete" in a
        for s in granted.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )


def test_pipeline_role_passes_only_the_task_roles_to_ecs() -> None:
    granted = statements(pipeline.pipeline_policy(FakeWorkshop(), CORE))  # type: ignore[arg-type]
    passing = granted["PassTaskRoles"]
    assert passing["Resource"] == [CORE.task_role_arn, CORE.task_execution_role_arn]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    assert (
        granted["Deploy"]["Resource"]
        == "arn:aws:ecs:eu-west-1:123456789012:service/mysfits-cluster/mysfits-service"
    )
    assert (
        granted["Build"]["Resource"]
        == "arn:aws:codebuild:eu-west-1:123456789012:project/mysfits-service-build"
    )
    assert "s3:PutObject" not in granted["Source"]["Action"]  # the pipeline never writes the source


def test_longest_prefix_still_gives_valid_bucket_names() -> None:
    from mysfits.website import validate_bucket_name

    names = ResourceNames("a" * 20, "123456789012", "ap-southeast-2")
    for bucket in (names.source_bucket, names.artifact_bucket, names.site_bucket):
        assert validate_bucket_name(bucket) == bucket
