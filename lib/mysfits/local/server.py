"""The local cloud process: moto's control plane behind our gateway, plus the data plane.

Run as `python -m mysfits.local.server --port N`; `mysfits local start` does that for you.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer

from . import client
from .core.children import Children
from .core.endpoints import LOOPBACK, EndpointRegistry, listen_loopback, loopback_server
from .core.gateway import (
    ControlHandlers,
    Gateway,
    RoutedMoto,
    list_moto_modules_once,
    xml_errors,
)
from .core.heartbeat import Heartbeat
from .core.loopback import LoopbackClients
from .core.patching import Patches
from .core.stores import Stores
from .leftovers import Ledger, end_leftovers

# What this cloud can do that AWS cannot: run images pushed as a build context (no Docker needed).
CAPABILITIES = ("build-context-images",)

# The one registration list: each package's `register(cloud)` adds its patches, request fixes,
# stores and reconcilers. Later packages may use what earlier ones registered in `cloud.services`.
SERVICE_PACKAGES = (
    "s3",
    "ecr",
    "elbv2",
    "ecs",
    "cloudformation",
    "dynamodb",
    "codebuild",
    "codepipeline",
    "cognito",
    "lambda_",
    "firehose",  # after s3 and lambda_: its clean stop still writes to S3 through their APIs
    "apigateway",  # last: on a clean stop it stops taking clicks before Firehose flushes
)


class PortBusy(OSError):
    """The requested port already has a listener."""


class LocalCloud:
    """One local cloud: control plane, fixes and data plane, serving on one loopback port."""

    def __init__(
        self, port: int = client.DEFAULT_PORT, log_file: str = "", home: Path | None = None
    ):
        try:  # first, so a taken port is reported before moto takes seconds to load
            listening = listen_loopback(port)
        except OSError as error:
            raise PortBusy(
                f"port {port} is already in use on {LOOPBACK} ({error.strerror}): stop what "
                f"listens there, or start on another port with `mysfits local start --port N`"
            ) from error
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        self.registry = EndpointRegistry()
        self._started = time.time()
        self.log_file = log_file
        self.ready = threading.Event()
        self.patches = Patches()
        list_moto_modules_once(self.patches)
        self.stores = Stores()
        self.heartbeat = Heartbeat(self.registry)
        self.services: dict[str, Any] = {}
        moto = RoutedMoto(DomainDispatcherApplication(create_backend_app))
        self.gateway = Gateway(
            moto, ControlHandlers(self.health, self.endpoints, self.reset), self.ready
        )
        handler = xml_errors(MotoRequestHandler)
        self._server: BaseWSGIServer = loopback_server(self.gateway, listening, handler)
        self.port = self._server.port
        self.endpoint_url = f"http://{LOOPBACK}:{self.port}"
        self.loopback = LoopbackClients(self.endpoint_url)
        # What this cloud starts is recorded, so a successor can end it should this one crash.
        self.ledger = Ledger(home or client.state_dir())
        self.children = Children(self.ledger.process)
        self.work_dir = Path(tempfile.mkdtemp(prefix="mysfits-local-"))
        self.ledger.folder(self.work_dir)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="control-plane", daemon=True
        )

    def start(self) -> LocalCloud:
        """Answer at once; the fixes and the data plane load in the background (requests wait)."""
        self._thread.start()
        threading.Thread(
            target=self._start_data_plane, name="data-plane-start", daemon=True
        ).start()
        return self

    def _start_data_plane(self) -> None:
        for name in SERVICE_PACKAGES:
            package = importlib.import_module(f"{__package__}.{name}")
            self.services[name] = package.register(self)
        self.heartbeat.start()
        self.ready.set()

    def health(self) -> dict[str, Any]:
        return {
            "service": "mysfits-local-cloud",
            "pid": os.getpid(),
            "port": self.port,
            "endpoint_url": self.endpoint_url,
            "log_file": self.log_file,
            "moto_version": version("moto"),
            "uptime_seconds": round(time.time() - self._started, 1),
            "capabilities": list(CAPABILITIES),
            "ready": self.ready.is_set(),
        }

    def refresh(self) -> None:
        """Bring the data plane in line with the control plane's state."""
        self.ready.wait()
        self.heartbeat.refresh()

    def endpoints(self) -> list[dict[str, str]]:
        """Every data-plane endpoint, after bringing them in line with the control plane."""
        self.refresh()
        return self.registry.listing()

    def reset(self) -> None:
        """Forget every resource, as a brand-new account would look."""
        from moto.moto_api._internal.models import moto_api_backend

        self.ready.wait()
        self.heartbeat.reset()
        self.stores.reset()
        moto_api_backend.reset()

    def stop(self) -> None:
        self.ready.wait(30)
        self.heartbeat.stop()
        self._server.shutdown()
        self._server.server_close()
        self.patches.undo_all()
        self.children.close()
        shutil.rmtree(self.work_dir, ignore_errors=True)
        self.ledger.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mysfits.local.server", description=__doc__)
    parser.add_argument("--port", type=int, default=client.DEFAULT_PORT)
    parser.add_argument("--log-file", default="")
    args = parser.parse_args(argv)
    ended = end_leftovers(client.state_dir())
    if ended:
        print(ended, flush=True)
    try:
        cloud = LocalCloud(args.port, args.log_file).start()
    except PortBusy as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return client.PORT_BUSY_EXIT
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    info = client.LocalCloudInfo(cloud.endpoint_url, os.getpid(), cloud.port, args.log_file)
    client.write_state(info)
    print(f"local cloud listening on {cloud.endpoint_url} (pid {os.getpid()})", flush=True)
    try:
        stopping.wait()
    finally:
        cloud.stop()
        client.clear_state(os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
