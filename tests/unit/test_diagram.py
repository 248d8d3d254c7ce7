"""The architecture diagram from a described deployment: only what exists is drawn."""

from __future__ import annotations

import pytest

from mysfits import diagram
from mysfits.cleanup import Leftover
from mysfits.diagram import Deployed

SITE_ONLY = Deployed("us-east-1", site_bucket="mysfits-site-1-us-east-1")
MODULE_2 = Deployed(
    "us-east-1",
    site_bucket="mysfits-site-1-us-east-1",
    vpc="vpc-0abc",
    nat_gateways=1,
    load_balancer="mysfits-nlb",
    service="mysfits-service",
    tasks=2,
    repository="mysfits/service",
    log_group="/mysfits/service",
    source_bucket="mysfits-source-1-us-east-1",
    pipeline="mysfits-service-pipeline",
    build_project="mysfits-service-build",
)
MODULE_3 = Deployed(**{**MODULE_2.__dict__, "table": "mysfits-mysfits"})
MODULE_4 = Deployed(
    **{
        **MODULE_3.__dict__,
        "user_pool": "mysfits-users",
        "rest_api": "mysfits-api",
        "direct_path_closed": True,
    }
)


def test_module_1_draws_the_visitor_and_the_site_bucket_only() -> None:
    drawn = diagram.mermaid(SITE_ONLY)
    assert drawn.splitlines()[0] == "flowchart LR"
    assert 'site[("S3 website<br/>mysfits-site-1-us-east-1")]' in drawn
    assert 'visitor -->|"pages (HTTP)"| site' in drawn
    for absent in ("subgraph vpc", "nlb", "service", "subgraph cicd", "table"):
        assert absent not in drawn


def test_module_2_puts_the_load_balancer_in_public_and_the_tasks_in_private_subnets() -> None:
    lines = [line.strip() for line in diagram.mermaid(MODULE_2).splitlines()]
    public, private = (
        lines.index('subgraph public["public subnets"]'),
        lines.index('subgraph private["private subnets"]'),
    )
    assert lines[public + 1].startswith("nlb{{") and lines[public + 2].startswith(
        'nat["NAT gateway x1"]'
    )
    assert lines[private + 1] == 'service["ECS service mysfits-service<br/>2 Fargate task(s)"]'
    assert (
        'subgraph vpc["VPC vpc-0abc"]' in lines
        and 'subgraph aws["AWS account, us-east-1"]' in lines
    )
    for edge in (
        'nlb -->|"TCP 8080 to task IPs"| service',
        'pipeline -->|"deploy"| service',
        'build -->|"push image"| ecr',
        "nat --> logs",
    ):
        assert edge in lines
    assert "table" not in "\n".join(lines)
    assert lines.count("end") == 5  # aws, vpc, public, private, cicd


def test_module_3_adds_the_table_behind_the_gateway_endpoint() -> None:
    drawn = diagram.mermaid(MODULE_3)
    assert 'table[("DynamoDB table<br/>mysfits-mysfits")]' in drawn
    assert 'service -->|"gateway endpoint"| table' in drawn


def test_module_4_puts_the_api_in_front_and_drops_the_direct_path() -> None:
    drawn = diagram.mermaid(MODULE_4)
    assert 'visitor -->|"API calls, HTTPS"| apigw' in drawn
    assert 'apigw -->|"VPC link (PrivateLink)"| nlb' in drawn
    assert 'apigw -->|"checks ID tokens"| cognito' in drawn
    assert 'visitor -->|"API calls, TCP 80"| nlb' not in drawn
    still_open = diagram.mermaid(Deployed(**{**MODULE_4.__dict__, "direct_path_closed": False}))
    assert 'visitor -->|"API calls, TCP 80"| nlb' in still_open


def test_an_edge_needs_both_ends() -> None:
    lone_service = Deployed("eu-west-1", service="s", tasks=1, table="t")
    keys = {(source, target) for source, target, _ in diagram.edges(diagram.nodes(lone_service))}
    assert keys == {("service", "table")}


def test_the_diagram_carries_mermaid_and_a_plain_text_fallback() -> None:
    drawn = diagram.draw(MODULE_3)
    bundle = drawn._repr_mimebundle_()
    assert (
        set(bundle) == {"text/vnd.mermaid", "text/plain"}
        and bundle["text/vnd.mermaid"] == drawn.mermaid
    )
    text = bundle["text/plain"]
    assert text.splitlines()[0] == "Deployed now in us-east-1:"
    assert (
        "  Network Load Balancer mysfits-nlb -> ECS service mysfits-service 2 Fargate task(s) "
        "(TCP 8080 to task IPs)" in text
    )
    assert "<br/>" not in text


def test_discovery_maps_the_inventory_by_name_and_ignores_what_is_not_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Names:
        site_bucket, source_bucket, load_balancer = "p-site-1-r", "p-source-1-r", "p-nlb"
        service, ecr_repository, log_group, table = (
            "p-service",
            "p/service",
            "/p/service",
            "p-mysfits",
        )
        pipeline, build_project = "p-service-pipeline", "p-service-build"
        user_pool, rest_api = "p-users", "p-api"

    class FakeWorkshop:
        region, names = "eu-west-1", Names()

    found = [
        Leftover("s3 bucket", "p-site-1-r"),
        Leftover("s3 bucket", "p-artifacts-1-r"),
        Leftover("vpc", "vpc-1"),
        Leftover("nat gateway", "nat-1"),
        Leftover("nat gateway", "nat-2"),
        Leftover("ecs service", "p-service"),
        Leftover("load balancer", "p-nlb"),
        Leftover("log group", "/aws/codebuild/p-service-build"),
    ]
    monkeypatch.setattr(diagram.cleanup, "inventory", lambda ws: found)
    monkeypatch.setattr(diagram.fargate, "running_tasks", lambda ws: [{}, {}, {}])
    deployed = diagram.discover(FakeWorkshop())  # type: ignore[arg-type]
    assert deployed == Deployed(
        "eu-west-1",
        site_bucket="p-site-1-r",
        vpc="vpc-1",
        nat_gateways=2,
        load_balancer="p-nlb",
        service="p-service",
        tasks=3,
    )
