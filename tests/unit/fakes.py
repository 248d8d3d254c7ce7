"""Test doubles the checks' unit tests share: stubbed clients and loopback HTTP servers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn
from botocore.stub import Stubber

from mysfits.waiting import wait_until
from mysfits.workshop import Workshop


@dataclass(frozen=True)
class Request:
    """One request a loopback server received."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: bytes


# A request -> (status, content type, body[, headers]); a list of parts is sent as a chunked
# stream.
Route = Callable[[Request], tuple[Any, ...]]


def stub(ws: Workshop, service: str) -> Stubber:
    """Stub the workshop's own (cached) client for `service`: the library gets what is queued."""
    stubber = Stubber(ws.client(service))
    stubber.activate()
    return stubber


@contextmanager
def http_server(route: Route) -> Iterator[str]:
    """A loopback HTTP server that answers every request with `route`; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # chunked streams, as the Docker engine sends them

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
            self.rfile.readline()  # the CRLF after the last, empty chunk
            return b"".join(chunks)

        def _answer(self) -> None:
            request = Request(self.command, self.path, dict(self.headers.items()), self._body())
            status, content_type, body, *extra = route(request)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in [*body, b""]:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))

        do_GET = do_POST = do_OPTIONS = _answer

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app (the real Mysfits service) on loopback with uvicorn; yield its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, loop="asyncio", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: server.started or not thread.is_alive(),
            what="the service to start",
            timeout=20,
            interval=0.02,
        )
        assert server.started, "the service stopped before it served"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def create_service(ws: Workshop, image: str, desired: int = 2) -> tuple[str, str]:
    """The workshop's ECS service on one revision running `image`, as moto makes it: no task
    runs yet and the rollout stays IN_PROGRESS. Returns (service ARN, task definition ARN)."""
    ecs = ws.client("ecs")
    ecs.create_cluster(clusterName=ws.names.cluster)
    definition = ecs.register_task_definition(
        family=ws.names.task_family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "MysfitsService", "image": image}],
    )["taskDefinition"]["taskDefinitionArn"]
    created = ecs.create_service(
        cluster=ws.names.cluster,
        serviceName=ws.names.service,
        taskDefinition=definition,
        desiredCount=desired,
        launchType="FARGATE",
    )["service"]
    return created["serviceArn"], definition


def reported_service(
    ws: Workshop, running: int, rollout: str, task_definition: str
) -> dict[str, Any]:
    """moto's DescribeServices answer with what ECS reports once its scheduler acted: `running`
    tasks of `task_definition`, the primary deployment's rollout in state `rollout`."""
    described = ws.client("ecs").describe_services(
        cluster=ws.names.cluster, services=[ws.names.service]
    )
    described.pop("ResponseMetadata")
    current = described["services"][0]
    current.update(runningCount=running, pendingCount=0, taskDefinition=task_definition)
    current["deployments"][0].update(
        runningCount=running, pendingCount=0, rolloutState=rollout, taskDefinition=task_definition
    )
    return described
