"""Find everything the workshop made for a prefix, delete it in dependency order, prove it is gone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import pandas as pd
from botocore.exceptions import ClientError
from tqdm.auto import tqdm

from . import database, fargate, images, loadbalancer, network, pipeline, website
from .checks import Check
from .workshop import Workshop

TAG_KEY = "workshop-prefix"


@dataclass(frozen=True)
class Leftover:
    """One resource of the workshop that still exists, and what it costs per hour on AWS."""

    kind: str
    name: str
    hourly_usd: float = 0.0


def _tagged(tags: list[dict[str, str]] | dict[str, str], prefix: str) -> bool:
    pairs = tags.items() if isinstance(tags, dict) else ((t.get("Key", t.get("key")), t.get("Value", t.get("value")))
                                                         for t in tags)
    return any(k == TAG_KEY and v == prefix for k, v in pairs)


def _missing(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    return any(word in code for word in ("NotFound", "NoSuch", "DoesNotExist")) or "does not exist" in str(error)


def _buckets(ws: Workshop) -> Iterator[Leftover]:
    s3 = ws.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        if name == ws.names.site_bucket:
            yield Leftover("s3 bucket", name)
            continue
        if not name.startswith(f"{ws.prefix}-"):
            continue
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except ClientError:
            continue
        if _tagged(tags, ws.prefix):
            yield Leftover("s3 bucket", name)


def _stacks(ws: Workshop) -> Iterator[Leftover]:
    for page in ws.client("cloudformation").get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            if stack["StackName"] == ws.names.core_stack or _tagged(stack.get("Tags", []), ws.prefix):
                yield Leftover("cloudformation stack", stack["StackName"])


def _ecs(ws: Workshop) -> Iterator[Leftover]:
    ecs = ws.client("ecs")
    clusters = [c for c in ecs.describe_clusters(clusters=[ws.names.cluster])["clusters"] if c["status"] == "ACTIVE"]
    for cluster in clusters:
        services = ecs.list_services(cluster=cluster["clusterArn"])["serviceArns"]
        for described in ecs.describe_services(cluster=cluster["clusterArn"], services=services)["services"] if services else []:
            if described["status"] == "ACTIVE":
                yield Leftover("ecs service", described["serviceName"],
                               round(described["desiredCount"] * fargate.TASK_HOURLY_USD, 4))
        yield Leftover("ecs cluster", cluster["clusterName"])
    for page in ecs.get_paginator("list_task_definitions").paginate(familyPrefix=ws.names.task_family, status="ACTIVE"):
        for arn in page["taskDefinitionArns"]:
            yield Leftover("ecs task definition", arn.rsplit("/", 1)[-1])


def _load_balancing(ws: Workshop) -> Iterator[Leftover]:
    if loadbalancer.find_load_balancer(ws) is not None:
        yield Leftover("load balancer", ws.names.load_balancer, loadbalancer.NLB_HOURLY_USD)
    if loadbalancer.find_target_group(ws) is not None:
        yield Leftover("target group", ws.names.target_group)


def _singletons(ws: Workshop) -> Iterator[Leftover]:
    probes: list[tuple[str, str, Callable[[], object]]] = [
        ("ecr repository", ws.names.ecr_repository,
         lambda: ws.client("ecr").describe_repositories(repositoryNames=[ws.names.ecr_repository])),
        ("dynamodb table", ws.names.table, lambda: ws.client("dynamodb").describe_table(TableName=ws.names.table)),
    ]
    probes += [
        ("codepipeline pipeline", ws.names.pipeline, lambda: ws.client("codepipeline").get_pipeline(name=ws.names.pipeline)),
        ("iam role", ws.names.build_role, lambda: ws.client("iam").get_role(RoleName=ws.names.build_role)),
        ("iam role", ws.names.pipeline_role, lambda: ws.client("iam").get_role(RoleName=ws.names.pipeline_role)),
    ]
    if ws.client("codebuild").batch_get_projects(names=[ws.names.build_project])["projects"]:
        yield Leftover("codebuild project", ws.names.build_project)
    for kind, name, probe in probes:
        try:
            probe()
        except ClientError as error:
            if _missing(error):
                continue
            raise
        yield Leftover(kind, name)
    logs = ws.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/{ws.prefix}/")["logGroups"]
    groups += logs.describe_log_groups(logGroupNamePrefix=f"/aws/codebuild/{ws.names.build_project}")["logGroups"]
    yield from (Leftover("log group", g["logGroupName"]) for g in groups)


def _network(ws: Workshop) -> Iterator[Leftover]:
    ec2, tag_filter = ws.client("ec2"), [{"Name": f"tag:{TAG_KEY}", "Values": [ws.prefix]}]
    # Tags are checked here too: not every API (nor the local cloud) honours a tag filter.
    for vpc in ec2.describe_vpcs(Filters=tag_filter)["Vpcs"]:
        if _tagged(vpc.get("Tags", []), ws.prefix):
            yield Leftover("vpc", vpc["VpcId"])
    nats = [n for n in ec2.describe_nat_gateways(Filter=tag_filter)["NatGateways"] if _tagged(n.get("Tags", []), ws.prefix)]
    for nat in nats:
        if nat["State"] not in {"deleted", "deleting", "failed"}:
            yield Leftover("nat gateway", nat["NatGatewayId"], network.NAT_GATEWAY_HOURLY_USD)
    # An address is the workshop's when tagged, or when one of its NAT gateways used it (even a deleted one).
    nat_allocations = {a["AllocationId"] for nat in nats for a in nat.get("NatGatewayAddresses", []) if "AllocationId" in a}
    for address in ec2.describe_addresses()["Addresses"]:
        if address.get("AllocationId") in nat_allocations or _tagged(address.get("Tags", []), ws.prefix):
            yield Leftover("elastic ip", address.get("PublicIp", address["AllocationId"]), network.PUBLIC_IPV4_HOURLY_USD)
    for page in ws.client("iam").get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role["RoleName"].startswith(f"{ws.names.core_stack}-"):
                yield Leftover("iam role", role["RoleName"])


def inventory(ws: Workshop) -> list[Leftover]:
    """Everything of the workshop's prefix that exists now, found by name and by tag."""
    found: list[Leftover] = []
    for finder in (_buckets, _stacks, _ecs, _load_balancing, _singletons, _network):
        found.extend(finder(ws))
    return found


def as_table(leftovers: list[Leftover]) -> pd.DataFrame:
    """A table of leftovers with their hourly cost (a TOTAL row at the end)."""
    rows = [{"kind": l.kind, "name": l.name, "USD per hour": l.hourly_usd} for l in leftovers]
    table = pd.DataFrame(rows, columns=["kind", "name", "USD per hour"])
    if rows:
        table.loc[len(table)] = ["TOTAL", "", round(sum(l.hourly_usd for l in leftovers), 4)]
    return table


def _delete_site(ws: Workshop) -> object:
    return [website.delete_site_bucket(ws, b.name) for b in _buckets(ws)]


# Dependency order: what uses something goes before it; the core stack (and its NAT gateways) goes last.
STEPS: list[tuple[str, Callable[[Workshop], object]]] = [
    ("pipeline", pipeline.delete_pipeline),
    ("build project", pipeline.delete_build_project),
    ("buckets", _delete_site),
    ("ECS service", fargate.delete_service),
    ("load balancer and target group", loadbalancer.delete_load_balancer),
    ("ECS cluster", fargate.delete_cluster),
    ("task definitions", fargate.deregister_task_definitions),
    ("log group", fargate.delete_log_group),
    ("ECR repository", images.delete_repository),
    ("DynamoDB table", database.delete_table),
    ("pipeline roles", pipeline.delete_roles),
    ("core stack", network.delete_core_stack),
]


def delete_everything(ws: Workshop, steps: list[tuple[str, Callable[[Workshop], object]]] | None = None) -> dict[str, object]:
    """Run every deletion step in order (each is fine with nothing to delete); return what each did."""
    done: dict[str, object] = {}
    plan = steps or STEPS
    with tqdm(total=len(plan), desc="cleanup", unit="step", disable=None) as bar:
        for label, step in plan:
            bar.set_postfix_str(label)
            done[label] = step(ws)
            bar.update()
    return done


def check_nothing_left(ws: Workshop) -> Check:
    """Passes only when the inventory for the prefix is empty."""
    left = inventory(ws)
    shown = ", ".join(f"{l.kind} {l.name}" for l in left[:10]) + (" …" if len(left) > 10 else "")
    return Check(f"nothing of prefix {ws.prefix!r} is left", not left, shown or "no resources found")
