"""Re-run safety of the whole series through the real CLI, on a local cloud of its own.

`mysfits run` twice leaves the resources of one run; the cleanup notebook then leaves nothing
in the AWS API and no task or load balancer process; the series runs again afterwards.
Resources are counted with plain API calls here, not with the cleanup module under test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

import mysfits
from mysfits import website
from mysfits.workshop import Workshop

from .conftest import mysfits_cli, running_cloud

SERIES = "01,02,03,04"
PREFIX = "mysfits"  # the notebooks' default


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with running_cloud(tmp_path_factory.mktemp("series-home")) as started:
        yield started


def run(cloud: dict[str, object], only: str, expect: int = 0) -> str:
    home = Path(str(cloud["home"]))
    result = mysfits_cli(
        home, "run", "--only", only, "--keep", "--output-dir", str(home / "runs"), timeout=600
    )
    assert result.returncode == expect, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def workshop(cloud: dict[str, object]) -> Workshop:
    return mysfits.connect("local", prefix=PREFIX, endpoint_url=str(cloud["endpoint_url"]))


def resource_counts(ws: Workshop) -> dict[str, int]:
    """How many of each kind of resource the prefix has, straight from each service's API."""
    mine = f"{ws.prefix}-"
    ecs, elbv2 = ws.client("ecs"), ws.client("elbv2")
    clusters = [
        c
        for c in ecs.describe_clusters(clusters=[ws.names.cluster])["clusters"]
        if c["status"] == "ACTIVE"
    ]
    services = ecs.list_services(cluster=ws.names.cluster)["serviceArns"] if clusters else []
    running = (
        ecs.list_tasks(cluster=ws.names.cluster, desiredStatus="RUNNING")["taskArns"]
        if clusters
        else []
    )
    balancers = [
        b
        for b in elbv2.describe_load_balancers()["LoadBalancers"]
        if b["LoadBalancerName"].startswith(mine)
    ]
    groups = [
        g
        for g in elbv2.describe_target_groups()["TargetGroups"]
        if g["TargetGroupName"].startswith(mine)
    ]
    listeners = [
        listener
        for b in balancers
        for listener in elbv2.describe_listeners(LoadBalancerArn=b["LoadBalancerArn"])["Listeners"]
    ]
    tables = [t for t in ws.client("dynamodb").list_tables()["TableNames"] if t.startswith(mine)]
    repositories = [
        r
        for r in ws.client("ecr").describe_repositories()["repositories"]
        if r["repositoryName"].startswith(f"{ws.prefix}/")
    ]
    stacks = [
        s
        for s in ws.client("cloudformation").describe_stacks()["Stacks"]
        if s["StackName"].startswith(mine)
    ]
    vpcs = [
        v
        for v in ws.client("ec2").describe_vpcs()["Vpcs"]
        if {"Key": "workshop-prefix", "Value": ws.prefix} in v.get("Tags", [])
    ]
    return {
        "buckets": sum(
            b["Name"].startswith(mine) for b in ws.client("s3").list_buckets()["Buckets"]
        ),
        "stacks": len(stacks),
        "vpcs": len(vpcs),
        "clusters": len(clusters),
        "services": len(services),
        "running tasks": len(running),
        "task definitions": len(
            ecs.list_task_definitions(familyPrefix=ws.names.task_family, status="ACTIVE")[
                "taskDefinitionArns"
            ]
        ),
        "load balancers": len(balancers),
        "target groups": len(groups),
        "listeners": len(listeners),
        "repositories": len(repositories),
        "tables": len(tables),
        "items": sum(
            ws.client("dynamodb").scan(TableName=t, Select="COUNT")["Count"] for t in tables
        ),
        "log groups": len(
            ws.client("logs").describe_log_groups(logGroupNamePrefix=f"/{ws.prefix}/")["logGroups"]
        ),
        "roles": sum(
            r["RoleName"].startswith(mine) for r in ws.client("iam").list_roles()["Roles"]
        ),
        "pipelines": sum(
            p["name"].startswith(mine)
            for p in ws.client("codepipeline").list_pipelines()["pipelines"]
        ),
        "pipeline executions": sum(
            len(
                ws.client("codepipeline").list_pipeline_executions(pipelineName=p["name"])[
                    "pipelineExecutionSummaries"
                ]
            )
            for p in ws.client("codepipeline").list_pipelines()["pipelines"]
            if p["name"].startswith(mine)
        ),
        "build projects": sum(
            p.startswith(mine) for p in ws.client("codebuild").list_projects()["projects"]
        ),
        "user pools": sum(
            p["Name"].startswith(mine)
            for p in ws.client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]
        ),
        "rest apis": sum(
            a["name"].startswith(mine) for a in ws.client("apigateway").get_rest_apis()["items"]
        ),
        "vpc links": sum(
            v["name"].startswith(mine) for v in ws.client("apigateway").get_vpc_links()["items"]
        ),
        "security groups": len(
            ws.client("ec2").describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [f"{mine}nlb"]}]
            )["SecurityGroups"]
        ),
        "build log groups": len(
            ws.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/codebuild/{mine}")[
                "logGroups"
            ]
        ),
    }


def data_plane(cloud: dict[str, object]) -> tuple[list[psutil.Process], list[int]]:
    """The task processes the local cloud runs, and the ports its endpoints listen on."""
    children = psutil.Process(int(str(cloud["pid"]))).children(recursive=True)
    tasks = [p for p in children if "mysfits_service" in " ".join(p.cmdline())]
    endpoints = json.loads(mysfits_cli(Path(str(cloud["home"])), "local", "endpoints").stdout)
    return tasks, [int(urlsplit(e["local_url"]).port or 80) for e in endpoints]


def cloud_port(cloud: dict[str, object]) -> int:
    return int(urlsplit(str(cloud["endpoint_url"])).port or 80)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_series_twice_then_cleanup_then_again(cloud: dict[str, object]) -> None:
    ws = workshop(cloud)
    # Out of order on an empty cloud: 03's first cell names the notebook to run first.
    assert "run 02_fargate_service.ipynb first" in run(cloud, "03", expect=1)
    run(cloud, SERIES)
    once = resource_counts(ws)
    assert once["stacks"] == once["clusters"] == once["services"] == once["load balancers"] == 1
    assert once["running tasks"] == 2 and once["items"] == 12
    assert (
        once["buckets"] == 3 and once["pipelines"] == once["build projects"] == 1
    )  # site, source, artifacts
    assert once["user pools"] == once["rest apis"] == once["vpc links"] == 1
    assert once["security groups"] == 1

    run(cloud, SERIES)
    assert resource_counts(ws) == once
    run(cloud, "01")  # an earlier notebook again: the site keeps 04's version and stays public
    assert website.published_version(ws, ws.names.site_bucket) == 3
    assert website.check_anonymous_read(ws, ws.names.site_bucket, expect=200).ok
    assert resource_counts(ws) == once

    tasks, ports = data_plane(cloud)
    # two task processes; the website, the NLB, the API's stage and Cognito (the pool's JWKS and
    # JSON API, on the cloud's own port)
    assert len(tasks) == 2 and len(ports) == 4
    run(cloud, "99")
    left = resource_counts(ws)
    assert left == {kind: 0 for kind in left}, left
    gone, alive = psutil.wait_procs(tasks, timeout=10)
    assert alive == [], f"task processes still running: {[p.pid for p in alive]}"
    assert [p for p in ports if listening(p) and p != cloud_port(cloud)] == []
    assert json.loads(mysfits_cli(Path(str(cloud["home"])), "local", "endpoints").stdout) == []

    run(cloud, SERIES)
    assert resource_counts(ws) == once
