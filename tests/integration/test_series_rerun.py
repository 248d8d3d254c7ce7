"""Re-run safety of the whole series, and the learner policy, from one run through the real CLI.

On a local cloud of its own, the learner policy's passes (`runner.POLICY_PASSES`: notebooks 01-06,
01-06 again, cleanup) run through `mysfits run`, recording every AWS API call, as
`mysfits learner-policy` runs them. Between the passes: the re-run leaves the resources of one
run; the cleanup notebook then leaves nothing in the AWS API and no task or load balancer
process; the series runs again afterwards. The recorded calls must give the committed
docs/learner-policy.json. Resources are counted with plain API calls here, not with the cleanup
module under test. One module-scoped run serves both tests: the series is the slow part.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest

import mysfits
from mysfits import website
from mysfits.cli import REGENERATE
from mysfits.runner import POLICY_PASSES
from mysfits.workshop import Workshop

from .conftest import mysfits_cli, running_cloud

SERIES = "01,02,03,04,05,06"
PREFIX = "mysfits"  # the notebooks' default
ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "learner-policy.json"
# What one run of the series leaves (resource_counts).
ONE_RUN = {
    "stacks": 2,  # the core network and the click stream
    "clusters": 1,
    "services": 1,
    "load balancers": 1,
    "running tasks": 2,
    "items": 12,
    "buckets": 5,  # site, pipeline source and artifacts; the click stream's code and clicks
    "pipelines": 1,
    "build projects": 1,
    "user pools": 1,
    "vpc links": 1,
    "rest apis": 2,  # module 4's API and the click stream's
    "security groups": 1,
    "functions": 1,
    "delivery streams": 1,
}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with running_cloud(tmp_path_factory.mktemp("series-home")) as started:
        yield started


def run(cloud: dict[str, object], only: str, expect: int = 0) -> Path:
    """`mysfits run --only`; its run folder (its own: two runs in one second would share one)."""
    home = Path(str(cloud["home"]))
    output = home / "runs" / f"{len(list((home / 'runs').glob('*')))}"
    result = mysfits_cli(
        home, "run", "--only", only, "--keep", "--output-dir", str(output), timeout=900
    )
    assert result.returncode == expect, result.stdout[-3000:] + result.stderr[-3000:]
    (run_dir,) = output.iterdir()
    (run_dir / "stdout.txt").write_text(result.stdout)
    return run_dir


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
        **stream_counts(ws),
    }


def stream_counts(ws: Workshop) -> dict[str, int]:
    """Module 5's click stream: its function, delivery stream and their log groups."""
    mine = f"{ws.prefix}-"
    logs = ws.client("logs")
    return {
        "functions": sum(
            f["FunctionName"].startswith(mine)
            for f in ws.client("lambda").list_functions()["Functions"]
        ),
        "delivery streams": sum(
            d.startswith(mine)
            for d in ws.client("firehose").list_delivery_streams()["DeliveryStreamNames"]
        ),
        "stream log groups": sum(
            len(logs.describe_log_groups(logGroupNamePrefix=f"/aws/{kind}/{mine}")["logGroups"])
            for kind in ("lambda", "kinesisfirehose")
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


@pytest.fixture(scope="module")
def series(cloud: dict[str, object]) -> dict[str, Any]:
    """The policy's passes with what the cloud holds between them; each pass's run folder."""
    ws, seen = workshop(cloud), {}
    # Out of order on an empty cloud: 03's first cell names the notebook to run first.
    seen["out of order"] = (run(cloud, "03", expect=1) / "stdout.txt").read_text()
    first, again, cleanup = POLICY_PASSES
    assert first == again == SERIES and cleanup == "99", POLICY_PASSES
    passes = [run(cloud, first)]
    seen["once"] = resource_counts(ws)
    passes.append(run(cloud, again))
    seen["twice"] = resource_counts(ws)
    run(cloud, "01")  # an earlier notebook again: the site keeps the latest version, public
    seen["site version"] = website.published_version(ws, ws.names.site_bucket)
    seen["site public"] = website.check_anonymous_read(ws, ws.names.site_bucket, expect=200).ok
    seen["after 01"] = resource_counts(ws)
    tasks, ports = data_plane(cloud)
    seen["tasks"], seen["ports"] = len(tasks), len(ports)
    passes.append(run(cloud, cleanup))
    seen["left"] = resource_counts(ws)
    seen["alive"] = [p.pid for p in psutil.wait_procs(tasks, timeout=10)[1]]
    seen["listening"] = [p for p in ports if listening(p) and p != cloud_port(cloud)]
    seen["endpoints"] = json.loads(
        mysfits_cli(Path(str(cloud["home"])), "local", "endpoints").stdout
    )
    run(cloud, SERIES)
    seen["after cleanup"] = resource_counts(ws)
    return {**seen, "passes": passes}


def test_series_twice_then_cleanup_then_again(series: dict[str, Any]) -> None:
    assert "run 02_fargate_service.ipynb first" in series["out of order"]
    once = series["once"]
    assert {kind: once[kind] for kind in ONE_RUN} == ONE_RUN
    assert once["stream log groups"] >= 1  # the function's; Firehose's once it logs an error

    assert series["twice"] == once
    assert series["site version"] == 3  # 04's, the latest
    assert series["site public"]
    assert series["after 01"] == once
    # two task processes; the website, the NLB, the two APIs' stages and Cognito (the pool's JWKS
    # and JSON API, on the cloud's own port)
    assert series["tasks"] == 2 and series["ports"] == 5
    left = series["left"]
    assert left == {kind: 0 for kind in left}, left
    assert series["alive"] == [], f"task processes still running: {series['alive']}"
    assert series["listening"] == []
    assert series["endpoints"] == []
    assert series["after cleanup"] == once


def test_committed_learner_policy_matches_the_calls_of_the_run(
    series: dict[str, Any], tmp_path: Path
) -> None:
    """What `mysfits learner-policy` runs, this module ran: its calls give the same policy."""
    generated = tmp_path / "learner-policy.json"
    calls = [f"--calls={p / 'api-calls.json'}" for p in series["passes"]]
    built = mysfits_cli(tmp_path, "learner-policy", *calls, "--write", str(generated))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "warning" not in built.stderr, built.stderr
    fresh, committed = json.loads(generated.read_text()), json.loads(COMMITTED.read_text())
    granted = {(s["Sid"], a) for s in committed["Statement"] for a in s["Action"]}
    needed = {(s["Sid"], a) for s in fresh["Statement"] for a in s["Action"]}
    assert fresh == committed, (
        f"docs/learner-policy.json is out of step with the calls a run makes "
        f"(missing {sorted(needed - granted)}, no longer needed {sorted(granted - needed)}): "
        f"regenerate it with `{REGENERATE}` and commit it"
    )
    recorded = [
        c
        for p in series["passes"]
        for n in json.loads((p / "api-calls.json").read_text())
        for c in n["calls"]
    ]
    assert {c["operation"] for c in recorded} >= {
        "PutBucketPolicy",
        "CreateStack",
        "RegisterTaskDefinition",
        "CreateService",
        "CreateTable",
        "CreatePipeline",
        "CreateChangeSet",
        "ExecuteChangeSet",
        "PutRecord",
    }
