"""Where visitors reach the service: the load balancer until module 4, then the API's stage.

Modules 2 and 3 call the load balancer's own address. Once module 4 has closed that path
(`nlbaccess.close_direct_path`), the only way in is API Gateway's `prod` stage, and likes and
adoptions need a signed-in user; notebooks 02 and 03 run again afterwards use this to test the
service where visitors reach it.
"""

from __future__ import annotations

from . import api, nlbaccess
from .errors import ResourceNotFound
from .loadbalancer import LoadBalancer
from .workshop import Workshop


def signed_in_only(ws: Workshop, balancer: LoadBalancer) -> bool:
    """Whether module 4 closed the direct path (then writes need a token, through the API)."""
    return nlbaccess.direct_path_closed(ws, balancer.arn)


def public_url(ws: Workshop, balancer: LoadBalancer) -> str:
    """The stage's URL once the direct path is closed, else the load balancer's (as reachable
    from here)."""
    if not signed_in_only(ws, balancer):
        return balancer.url
    stage = api.find_stage(ws)
    if stage is None:
        raise ResourceNotFound(
            f"the load balancer {ws.names.load_balancer} is closed to the internet but the API "
            f"{ws.names.rest_api} has no {api.STAGE} stage: run notebook 04 again"
        )
    return stage.url
