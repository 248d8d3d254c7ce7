"""Module 4: the REST API in front of the service: VPC link, API from OpenAPI, `prod` stage.

The VPC link is API Gateway's private way into the VPC: it reaches the service's Network Load
Balancer over AWS PrivateLink, so the API can proxy to a load balancer that the internet cannot
reach any more (`nlbaccess.close_direct_path`). The API is made from the document `apidocument`
generates from the service's routes; it is found again by name and tag, and a re-run puts the
document into it again (`PutRestApi`, mode `overwrite`) and deploys only when the document
changed: the `prod` stage's variable `document` holds the SHA-256 of the document its deployment
was made from. The stage is throttled.

Cost on AWS: nothing per hour for the API, its stage or the VPC link; a REST API bills $3.50 per
million calls (us-east-1; the free tier covers a million calls a month for 12 months). The NLB the
link targets keeps billing per hour (module 2).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import apidocument
from .errors import WorkshopError
from .idioms import absent_is_none, delete_if_present, retry_while
from .inventory import Family, Leftover, tagged
from .loadbalancer import LoadBalancer
from .waiting import Progress, wait_until
from .workshop import Workshop

STAGE = "prod"
# Throttling of every method of the stage (a token bucket: `RATE` requests per second refill it,
# `BURST` is its size). Why these: two small tasks answer a few hundred requests a second, and a
# page view of the site makes a handful of calls, so 100 a second is far above one class's use
# while capping what a runaway script (or a stranger) can cost: 100 calls a second for an hour
# is 360,000 calls, $1.26. A burst of 200 lets many visitors load pages at the same moment. The
# account's own limit (10,000 a second, burst 5,000) would protect neither the tasks nor the bill.
RATE_LIMIT = 100.0
BURST_LIMIT = 200
DOCUMENT_VARIABLE = "document"  # the stage variable naming the deployed document's SHA-256
ENDPOINT_TYPE = (
    "REGIONAL"  # served from the region itself; EDGE would add AWS's CloudFront in front
)
USD_PER_MILLION_CALLS = 3.50
_GONE = "NotFoundException"


class VpcLinkFailed(WorkshopError):
    """AWS could not set the VPC link up; the message carries its statusMessage."""


@dataclass(frozen=True)
class VpcLink:
    id: str
    name: str
    target_arn: str
    status: str


@dataclass(frozen=True)
class RestApi:
    id: str
    name: str
    document_sha256: str
    changed: bool  # True when this call imported or overwrote it


@dataclass(frozen=True)
class Stage:
    """The deployed stage: its AWS URL and where it is reachable from here."""

    api_id: str
    name: str
    aws_url: str
    url: str
    deployment_id: str
    rate_limit: float
    burst_limit: int
    deployed: bool  # True when this call made a new deployment


# -- the VPC link ---------------------------------------------------------------------------------


def _links(ws: Workshop) -> list[dict[str, Any]]:
    """Every VPC link of the workshop's name and prefix, whatever its state."""
    pages = ws.client("apigateway").get_paginator("get_vpc_links").paginate()
    return [
        link
        for page in pages
        for link in page.get("items", [])
        if link.get("name") == ws.names.vpc_link and tagged(link.get("tags", {}), ws.prefix)
    ]


def _as_link(link: dict[str, Any]) -> VpcLink:
    targets = link.get("targetArns") or [""]
    return VpcLink(link["id"], link["name"], targets[0], link.get("status", ""))


def find_vpc_link(ws: Workshop, balancer: LoadBalancer) -> VpcLink | None:
    """The workshop's VPC link to `balancer` that is usable or becoming so, or None."""
    for link in _links(ws):
        if link.get("targetArns") == [balancer.arn] and link.get("status") in (
            "PENDING",
            "AVAILABLE",
        ):
            return _as_link(link)
    return None


def ensure_vpc_link(ws: Workshop, balancer: LoadBalancer, timeout: float = 900) -> VpcLink:
    """Create (or find) the VPC link to the load balancer and wait until it is AVAILABLE.

    A link's target cannot change: a link to an earlier load balancer (module 2 replaced it) is
    left for `delete_stale_vpc_links`, once the API no longer uses it.
    """
    link = find_vpc_link(ws, balancer)
    if link is None:
        created = ws.client("apigateway").create_vpc_link(
            name=ws.names.vpc_link,
            description=f"API Gateway to {ws.names.load_balancer} over PrivateLink",
            targetArns=[balancer.arn],
            tags=ws.tags,
        )
        link = _as_link(created)
    return wait_for_vpc_link(ws, link, timeout)


def wait_for_vpc_link(ws: Workshop, link: VpcLink, timeout: float = 900) -> VpcLink:
    """Wait until the link is AVAILABLE (on AWS a few minutes); its last state."""
    seen: list[dict[str, Any]] = []

    def available() -> VpcLink | None:
        seen[:] = [ws.client("apigateway").get_vpc_link(vpcLinkId=link.id)]
        status = seen[0].get("status")
        if status == "FAILED":
            raise VpcLinkFailed(
                f"VPC link {link.id} FAILED: {seen[0].get('statusMessage', 'no reason given')}; "
                "delete it (api.delete_vpc_links) and run the step again"
            )
        return _as_link(seen[0]) if status == "AVAILABLE" else None

    def progress() -> Progress:
        status = seen[0].get("status", "") if seen else "asked"
        return Progress(int(status == "AVAILABLE"), 1, "link available", status)

    return wait_until(
        available,
        what=f"VPC link {link.id} to become AVAILABLE",
        timeout=timeout,
        interval=10,
        progress=progress,
        hint="AWS takes minutes to set a VPC link up; its statusMessage says why if it fails.",
    )


Sleep = Callable[[float], None]


def _delete_link(ws: Workshop, link_id: str, timeout: float, sleep: Sleep = time.sleep) -> bool:
    """Delete a link and wait until it is gone; False if it was gone already.

    AWS refuses (BadRequestException) while an API's integration still names the link.
    """
    apigateway = ws.client("apigateway")
    deleted = retry_while(
        lambda: delete_if_present(lambda: apigateway.delete_vpc_link(vpcLinkId=link_id), _GONE),
        "BadRequestException",
        what=f"VPC link {link_id} to be unused",
        timeout=timeout,
        interval=10,
        hint="An API still proxies through it: put the API with the new link first.",
        sleep=sleep,
    )
    wait_until(
        lambda: absent_is_none(lambda: apigateway.get_vpc_link(vpcLinkId=link_id), _GONE) is None,
        what=f"VPC link {link_id} to be deleted",
        timeout=timeout,
        interval=5,
        sleep=sleep,
    )
    return deleted


def delete_stale_vpc_links(
    ws: Workshop, keep: VpcLink, timeout: float = 600, sleep: Sleep = time.sleep
) -> list[str]:
    """Delete the workshop's other links (to a replaced load balancer, or failed); their ids."""
    stale = [link["id"] for link in _links(ws) if link["id"] != keep.id]
    return [link_id for link_id in stale if _delete_link(ws, link_id, timeout, sleep)]


def delete_vpc_links(ws: Workshop, timeout: float = 600) -> list[str]:
    """Delete every VPC link of the workshop (after the API that uses it); their ids."""
    return [link["id"] for link in _links(ws) if _delete_link(ws, link["id"], timeout)]


# -- the REST API ---------------------------------------------------------------------------------


def find_rest_api(ws: Workshop) -> dict[str, Any] | None:
    """The workshop's REST API (by name and prefix tag), as GetRestApis lists it, or None."""
    pages = ws.client("apigateway").get_paginator("get_rest_apis").paginate()
    for page in pages:
        for api in page.get("items", []):
            if api.get("name") == ws.names.rest_api and tagged(api.get("tags", {}), ws.prefix):
                return dict(api)
    return None


def ensure_rest_api(ws: Workshop, document: dict[str, Any]) -> RestApi:
    """Create the API (tagged, regional) if it is missing, and put `document` into it unless
    the `prod` stage already serves exactly this document.

    Created empty with its tags, then filled by `PutRestApi` (mode `overwrite`): an API never
    exists untagged, so cleanup always finds it, even if a run stops between the two calls.
    """
    apigateway, sha256 = ws.client("apigateway"), apidocument.digest(document)
    found = find_rest_api(ws)
    if found is None:
        api_id = apigateway.create_rest_api(
            name=ws.names.rest_api,
            description=document.get("info", {}).get("description", ""),
            endpointConfiguration={"types": [ENDPOINT_TYPE]},
            tags=ws.tags,
        )["id"]
    else:
        api_id = found["id"]
        stage = _get_stage(ws, api_id)
        if stage is not None and _serves(stage) == sha256:
            return RestApi(api_id, ws.names.rest_api, sha256, changed=False)
    body = json.dumps(document, indent=1).encode()
    apigateway.put_rest_api(restApiId=api_id, mode="overwrite", failOnWarnings=True, body=body)
    return RestApi(api_id, ws.names.rest_api, sha256, changed=True)


# -- the stage ------------------------------------------------------------------------------------


def stage_aws_url(ws: Workshop, api_id: str, stage: str = STAGE) -> str:
    return f"https://{api_id}.execute-api.{ws.region}.amazonaws.com/{stage}"


def _get_stage(ws: Workshop, api_id: str) -> dict[str, Any] | None:
    apigateway = ws.client("apigateway")
    return absent_is_none(lambda: apigateway.get_stage(restApiId=api_id, stageName=STAGE), _GONE)


def _serves(stage: dict[str, Any]) -> str | None:
    """The SHA-256 of the document the stage's deployment was made from."""
    return stage.get("variables", {}).get(DOCUMENT_VARIABLE)


def _throttling(stage: dict[str, Any]) -> tuple[float | None, int | None]:
    every = stage.get("methodSettings", {}).get("*/*", {})
    return every.get("throttlingRateLimit"), every.get("throttlingBurstLimit")


def _throttle(ws: Workshop, api_id: str) -> None:
    ws.client("apigateway").update_stage(
        restApiId=api_id,
        stageName=STAGE,
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(RATE_LIMIT)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(BURST_LIMIT)},
        ],
    )


def deploy_stage(ws: Workshop, api: RestApi) -> Stage:
    """Deploy the API to `prod` unless the stage serves this document already; throttle it."""
    stage, deployed = _get_stage(ws, api.id), False
    if api.changed or stage is None or _serves(stage) != api.document_sha256:
        ws.client("apigateway").create_deployment(
            restApiId=api.id,
            stageName=STAGE,
            description=f"document {api.document_sha256[:12]}",
            variables={DOCUMENT_VARIABLE: api.document_sha256},
        )
        stage, deployed = _get_stage(ws, api.id), True
    assert stage is not None  # just deployed
    if _throttling(stage) != (RATE_LIMIT, BURST_LIMIT):
        _throttle(ws, api.id)
        stage = _get_stage(ws, api.id) or stage
    return _as_stage(ws, api.id, stage, deployed)


def _as_stage(ws: Workshop, api_id: str, stage: dict[str, Any], deployed: bool) -> Stage:
    rate, burst = _throttling(stage)
    aws_url = stage_aws_url(ws, api_id)
    return Stage(
        api_id,
        STAGE,
        aws_url,
        ws.url(aws_url),
        stage.get("deploymentId", ""),
        float(rate or 0),
        int(burst or 0),
        deployed,
    )


def find_stage(ws: Workshop) -> Stage | None:
    """The `prod` stage of the workshop's API, or None (no API, or never deployed)."""
    api = find_rest_api(ws)
    stage = _get_stage(ws, api["id"]) if api is not None else None
    return None if api is None or stage is None else _as_stage(ws, api["id"], stage, False)


def site_config(
    ws: Workshop, stage: Stage, pool_id: str, client_id: str, password_policy: dict[str, Any]
) -> dict[str, Any]:
    """Site version 3's `config.json`: the API's stage, and the pool the site signs visitors in
    with (Cognito's address as reachable from here, and the policy it shows at sign-up)."""
    return {
        "version": 3,
        "apiEndpoint": stage.url,
        "cognito": {
            "region": ws.region,
            "userPoolId": pool_id,
            "clientId": client_id,
            "endpoint": ws.url(f"https://cognito-idp.{ws.region}.amazonaws.com/").rstrip("/"),
            "passwordPolicy": password_policy,
        },
    }


def delete_rest_api(ws: Workshop) -> bool:
    """Delete the workshop's REST API with its stages; False if there was none."""
    found = find_rest_api(ws)
    apigateway = ws.client("apigateway")
    return found is not None and delete_if_present(
        lambda: apigateway.delete_rest_api(restApiId=found["id"]), _GONE
    )


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The REST API and its VPC links (no hourly cost: API Gateway bills per call)."""
    if find_rest_api(ws) is not None:
        yield Leftover("rest api", ws.names.rest_api)
    for link in _links(ws):
        if link.get("status") != "DELETING":
            yield Leftover("vpc link", f"{link['name']} ({link['id']})")


# The API before its VPC link (AWS refuses to delete a link an integration names), and both
# before the load balancer the link targets.
CLEANUP = Family(leftovers, steps=(("REST API", delete_rest_api), ("VPC link", delete_vpc_links)))
