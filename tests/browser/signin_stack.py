"""Site version 3 on a fresh local cloud, on module 4's path: the site calls the API Gateway
stage (like and adopt behind the Cognito authorizer), which proxies through the VPC link to the
NLB and the service's task.

Deployed as notebooks 02 to 04 deploy it (the shared `servicestack` helpers): the seeded table, the
user pool and its app client, the service (one task, run by the local cloud without Docker) told
to verify the pool's tokens too, the VPC link, the REST API imported from the generated OpenAPI
document and its `prod` stage; then the NLB's direct path is closed, and the site is uploaded
with module 4's `config.json`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mysfits
from mysfits import api, nlbaccess, users, website
from mysfits.workshop import Workshop

from ..integration.conftest import running_cloud
from ..integration.servicestack import deploy_api, deploy_service, seeded_table


@dataclass(frozen=True)
class SignInStack:
    ws: Workshop
    site_url: str
    stage: api.Stage  # the site's API: `stage.url` is its local URL
    nlb_url: str  # closed to the learner: only the VPC link gets through
    pool: users.UserPool
    client: users.AppClient
    table: str


def site_config(
    ws: Workshop, stage: api.Stage, pool: users.UserPool, client: users.AppClient
) -> Any:
    """config.json of site version 3, as notebook 04 writes it: the API is the stage's URL."""
    return api.site_config(ws, stage, pool.id, client.id, users.PASSWORD_POLICY)


@contextmanager
def signin_stack(home: Path) -> Iterator[SignInStack]:
    with running_cloud(home) as cloud:
        endpoint_url = str(cloud["endpoint_url"])
        ws = mysfits.connect("local", prefix=f"b{uuid.uuid4().hex[:6]}", endpoint_url=endpoint_url)
        table = seeded_table(ws)
        pool = users.ensure_user_pool(ws)
        client = users.ensure_app_client(ws, pool)
        service = deploy_service(ws, table, desired=1, environment=users.service_environment(ws))
        stage = deploy_api(ws, service.balancer, pool)
        nlbaccess.close_direct_path(ws, service.balancer)
        bucket = website.ensure_site_bucket(ws)
        website.upload_site(ws, bucket, config=site_config(ws, stage, pool, client))
        website.ensure_public_read(ws, bucket)
        site = website.ensure_website(ws, bucket)
        yield SignInStack(ws, site.url, stage, service.balancer.url, pool, client, table.name)
