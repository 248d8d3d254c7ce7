"""Lambda without Docker: Python handlers run in warm local worker processes.

moto 5.2.5 stores functions but runs them in Docker. Here `api` answers Invoke by running the
handler: `service` keeps one `pool` of warm `worker` processes per function version, each
running `bootstrap` (the runtime) with the local Python interpreter over the code `code`
unpacked; `settings` (the worker's configuration and environment) and `reports` (START, END,
REPORT lines and the platform's error payloads) are the pure parts; `logstream` ships output to
CloudWatch Logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import api
from .service import LambdaService

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> LambdaService:
    service = LambdaService(cloud.children, cloud.work_dir, cloud.endpoint_url)
    api.apply(cloud.patches, service)
    cloud.heartbeat.register(service)
    return service
