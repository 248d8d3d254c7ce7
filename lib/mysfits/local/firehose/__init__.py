"""Firehose: DirectPut streams to S3 buffer, run their Lambda processor and write as AWS does.

`api` puts the data plane behind moto's Firehose API; `service` buffers each stream and hands due
batches to `pipeline`, which invokes the processor (`transform`) and writes the objects
(`objects`, keys from `prefixes`); `config` reads a stream's destination with AWS's defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import api
from .service import FirehoseService

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> FirehoseService:
    service = FirehoseService(cloud.stores, cloud.loopback)
    api.apply(cloud.patches, service)
    cloud.heartbeat.register(service)
    return service
