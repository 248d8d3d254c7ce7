"""The architecture as deployed now, drawn as a Mermaid flowchart (JupyterLab renders it natively).

Nothing is drawn from a module's plan: `discover` asks the target what exists for the prefix
(the same inventory, by name and tag, that cleanup uses), and only those parts get a node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import cleanup, fargate, loadbalancer, nlbaccess
from .workshop import Workshop

MERMAID_MIME_TYPE = "text/vnd.mermaid"


@dataclass(frozen=True)
class Deployed:
    """What exists for the prefix, as far as the diagram cares (None or 0: absent)."""

    region: str
    site_bucket: str | None = None
    vpc: str | None = None
    nat_gateways: int = 0
    load_balancer: str | None = None
    service: str | None = None
    tasks: int = 0
    repository: str | None = None
    log_group: str | None = None
    table: str | None = None
    source_bucket: str | None = None
    pipeline: str | None = None
    build_project: str | None = None
    user_pool: str | None = None
    rest_api: str | None = None
    direct_path_closed: bool = False  # module 4 closed the NLB to the internet


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    shape: str  # "box", "store", "balancer" or "person"
    group: str  # the subgraph it sits in ("" for outside AWS)


# Each node: the Deployed field that must be set for it to exist, and how to draw it.
_NODES: list[tuple[str, Callable[[Deployed], Node]]] = [
    ("site_bucket", lambda d: Node("site", f"S3 website<br/>{d.site_bucket}", "store", "aws")),
    (
        "load_balancer",
        lambda d: Node("nlb", f"Network Load Balancer<br/>{d.load_balancer}", "balancer", "public"),
    ),
    ("nat_gateways", lambda d: Node("nat", f"NAT gateway x{d.nat_gateways}", "box", "public")),
    (
        "service",
        lambda d: Node(
            "service", f"ECS service {d.service}<br/>{d.tasks} Fargate task(s)", "box", "private"
        ),
    ),
    ("repository", lambda d: Node("ecr", f"ECR repository<br/>{d.repository}", "store", "aws")),
    ("log_group", lambda d: Node("logs", f"CloudWatch Logs<br/>{d.log_group}", "box", "aws")),
    ("table", lambda d: Node("table", f"DynamoDB table<br/>{d.table}", "store", "aws")),
    (
        "source_bucket",
        lambda d: Node("source", f"S3 source bucket<br/>{d.source_bucket}", "store", "cicd"),
    ),
    ("pipeline", lambda d: Node("pipeline", f"CodePipeline<br/>{d.pipeline}", "box", "cicd")),
    ("build_project", lambda d: Node("build", f"CodeBuild<br/>{d.build_project}", "box", "cicd")),
    (
        "user_pool",
        lambda d: Node("cognito", f"Cognito user pool<br/>{d.user_pool}", "store", "aws"),
    ),
    (
        "rest_api",
        lambda d: Node("apigw", f"API Gateway<br/>{d.rest_api}, stage prod", "balancer", "aws"),
    ),
]
# Each edge is drawn when both of its ends exist.
EDGES: list[tuple[str, str, str]] = [
    ("visitor", "site", "pages (HTTP)"),
    ("visitor", "nlb", "API calls, TCP 80"),
    ("visitor", "cognito", "sign-up, sign-in"),
    ("visitor", "apigw", "API calls, HTTPS"),
    ("apigw", "cognito", "checks ID tokens"),
    ("apigw", "nlb", "VPC link (PrivateLink)"),
    ("nlb", "service", "TCP 8080 to task IPs"),
    ("service", "nat", "image pulls, logs"),
    ("nat", "ecr", ""),
    ("nat", "logs", ""),
    ("service", "table", "gateway endpoint"),
    ("source", "pipeline", "new version"),
    ("pipeline", "build", "build"),
    ("build", "ecr", "push image"),
    ("pipeline", "service", "deploy"),
]
# Subgraphs: parent and title.
_GROUPS: dict[str, tuple[str, str]] = {
    "aws": ("", "AWS account, {region}"),
    "vpc": ("aws", "VPC {vpc}"),
    "public": ("vpc", "public subnets"),
    "private": ("vpc", "private subnets"),
    "cicd": ("aws", "CI/CD"),
}
_SHAPES = {"box": '["{}"]', "store": '[("{}")]', "balancer": '{{{{"{}"}}}}', "person": '(["{}"])'}


def nodes(deployed: Deployed) -> list[Node]:
    """The visitor, plus one node per part that exists."""
    found = [make(deployed) for field, make in _NODES if getattr(deployed, field)]
    return [Node("visitor", "Visitor's browser", "person", ""), *found]


def edges(present: list[Node], closed: bool = False) -> list[tuple[str, str, str]]:
    """The edges whose ends both exist; without the visitor's direct path once it is `closed`."""
    keys = {node.key for node in present}
    drawn = [edge for edge in EDGES if edge[0] in keys and edge[1] in keys]
    return [edge for edge in drawn if not (closed and edge[:2] == ("visitor", "nlb"))]


def _group_lines(group: str, present: list[Node], deployed: Deployed, depth: int) -> list[str]:
    """The nodes of `group` and of its subgroups; nothing when all of them are empty."""
    pad = "    " * depth
    inner = [
        pad + "    " + n.key + _SHAPES[n.shape].format(n.label) for n in present if n.group == group
    ]
    for child, (parent, _) in _GROUPS.items():
        if parent == group:
            inner += _group_lines(child, present, deployed, depth + 1)
    if not inner or not group:
        return inner
    title = _GROUPS[group][1].format(region=deployed.region, vpc=deployed.vpc or "")
    return [f'{pad}subgraph {group}["{title}"]', *inner, f"{pad}end"]


def mermaid(deployed: Deployed) -> str:
    """A Mermaid flowchart of what is deployed."""
    present = nodes(deployed)
    lines = ["flowchart LR", *_group_lines("", present, deployed, 0)]
    for source, target, label in edges(present, deployed.direct_path_closed):
        arrow = f' -->|"{label}"| ' if label else " --> "
        lines.append(f"    {source}{arrow}{target}")
    return "\n".join(lines)


def plain_text(deployed: Deployed) -> str:
    """The same picture in words, for front ends without Mermaid."""
    present = nodes(deployed)
    names = {n.key: n.label.replace("<br/>", " ") for n in present}
    drawn = edges(present, deployed.direct_path_closed)
    connected = {end for edge in drawn for end in edge[:2]}
    lines = [f"Deployed now in {deployed.region}:"]
    lines += [
        f"  {names[s]} -> {names[t]}" + (f" ({label})" if label else "") for s, t, label in drawn
    ]
    lines += [f"  {names[n.key]}" for n in present if n.key not in connected and n.key != "visitor"]
    return "\n".join(lines)


@dataclass(frozen=True)
class Diagram:
    """A diagram that JupyterLab draws from Mermaid text; other front ends show the words."""

    mermaid: str
    text: str

    def __str__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {MERMAID_MIME_TYPE: self.mermaid, "text/plain": self.text}


def draw(deployed: Deployed) -> Diagram:
    return Diagram(mermaid(deployed), plain_text(deployed))


def discover(ws: Workshop) -> Deployed:
    """Ask the target what exists for the workshop's prefix (by name and tag)."""
    found: dict[str, list[str]] = {}
    for leftover in cleanup.inventory(ws):
        found.setdefault(leftover.kind, []).append(leftover.name)
    names = ws.names

    def named(kind: str, name: str) -> str | None:
        return name if name in found.get(kind, []) else None

    service = named("ecs service", names.service)
    rest_api = named("rest api", names.rest_api)
    return Deployed(
        region=ws.region,
        site_bucket=named("s3 bucket", names.site_bucket),
        vpc=next(iter(found.get("vpc", [])), None),
        nat_gateways=len(found.get("nat gateway", [])),
        load_balancer=named("load balancer", names.load_balancer),
        service=service,
        tasks=len(fargate.running_tasks(ws)) if service else 0,
        repository=named("ecr repository", names.ecr_repository),
        log_group=named("log group", names.log_group),
        table=named("dynamodb table", names.table),
        source_bucket=named("s3 bucket", names.source_bucket),
        pipeline=named("codepipeline pipeline", names.pipeline),
        build_project=named("codebuild project", names.build_project),
        user_pool=named("cognito user pool", names.user_pool),
        rest_api=rest_api,
        direct_path_closed=rest_api is not None and _closed(ws),
    )


def _closed(ws: Workshop) -> bool:
    found = loadbalancer.find_load_balancer(ws)
    return found is not None and nlbaccess.direct_path_closed(ws, found["LoadBalancerArn"])


def architecture(ws: Workshop) -> Diagram:
    """The diagram of what is deployed for the workshop's prefix right now."""
    return draw(discover(ws))
