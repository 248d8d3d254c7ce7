"""Network load balancers: each TCP listener on its own loopback port, forwarding to healthy targets.

As on AWS: new connections go to targets the health checks call healthy; when none is
healthy the load balancer fails open and uses every registered target. Unlike AWS, a
connection to a target that refuses it is retried on the next target (a listed gap).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.elbv2.models import FakeListener, elbv2_backends

from ..endpoints import Endpoint, EndpointRegistry
from ..client import LOOPBACK_HOST
from .targets import Address, HealthBook, TargetDirectory

KIND = "nlb"
_CHUNK = 64 * 1024
IDLE_TIMEOUT_SECONDS = 350  # NLB's TCP idle timeout


def forward_target_group(listener: FakeListener) -> str | None:
    """The target group a listener's default forward action sends to."""
    for action in listener.default_actions:
        if action.type != "forward":
            continue
        if action.data.get("TargetGroupArn"):
            return str(action.data["TargetGroupArn"])
        groups = action.data.get("ForwardConfig", {}).get("TargetGroups", [])
        if groups:
            return str(groups[0]["TargetGroupArn"])
    return None


def aws_url(dns_name: str, port: int) -> str:
    return f"http://{dns_name}" if port == 80 else f"http://{dns_name}:{port}"


class LoadBalancerProxies:
    """Serves every NLB listener on loopback from one asyncio loop thread."""

    def __init__(self, registry: EndpointRegistry, directory: TargetDirectory, health: HealthBook):
        self._registry = registry
        self._directory = directory
        self._health = health
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nlb-proxies", daemon=True)
        self._thread.start()
        self._servers: dict[str, tuple[asyncio.AbstractServer, str]] = {}
        self._turns = itertools.count()
        self._relays: set[asyncio.Task[None]] = set()  # strong references: asyncio keeps only weak ones

    def reconcile(self) -> None:
        """Serve new listeners, stop serving deleted ones."""
        wanted: dict[str, tuple[Any, FakeListener]] = {}
        for backend in list(elbv2_backends[DEFAULT_ACCOUNT_ID].values()):
            for balancer in list(backend.load_balancers.values()):
                if balancer.type == "network":
                    for listener in list(balancer.listeners.values()):
                        wanted[listener.arn] = (balancer, listener)
        for arn in set(self._servers) - set(wanted):
            server, name = self._servers.pop(arn)
            self._registry.close(KIND, name)
        for arn, (balancer, listener) in wanted.items():
            if arn not in self._servers:
                self._serve(balancer, listener)

    def _serve(self, balancer: Any, listener: FakeListener) -> None:
        async def start() -> asyncio.AbstractServer:
            return await asyncio.start_server(lambda r, w: self._relay(r, w, listener), LOOPBACK_HOST, 0)

        server = asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=10)
        port = server.sockets[0].getsockname()[1]
        others = [p for p in balancer.listeners.values() if p.arn != listener.arn]
        name = balancer.name if not others else f"{balancer.name}:{listener.port}"

        def stop() -> None:
            server.close()
            asyncio.run_coroutine_threadsafe(server.wait_closed(), self._loop).result(timeout=10)

        self._servers[listener.arn] = (server, name)
        self._registry.add(Endpoint(KIND, name, aws_url(balancer.dns_name, int(listener.port)),
                                    f"http://{LOOPBACK_HOST}:{port}", stop))

    def _candidates(self, listener: FakeListener) -> list[Address]:
        group_arn = forward_target_group(listener)
        if group_arn is None:
            return []
        group = next((g for b in elbv2_backends[DEFAULT_ACCOUNT_ID].values()
                      for g in [b.target_groups.get(group_arn)] if g is not None), None)
        if group is None:
            return []
        targets = [(target_id, int(t.get("Port") or group.port)) for target_id, t in list(group.targets.items())]
        healthy = [t for t in targets if self._health.healthy(group_arn, t[0])]
        chosen = healthy or targets  # fail open, as NLB does when no target is healthy
        local = [self._directory.local(t) for t in chosen]
        return [address for address in local if address is not None]

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter,
                     listener: FakeListener) -> None:
        relay = asyncio.current_task()
        if relay is not None:
            self._relays.add(relay)
            relay.add_done_callback(self._relays.discard)
        candidates = self._candidates(listener)
        start = next(self._turns)
        for offset in range(len(candidates)):
            host, port = candidates[(start + offset) % len(candidates)]
            try:
                target_reader, target_writer = await asyncio.open_connection(host, port)
            except OSError:
                continue
            await asyncio.gather(_pipe(client_reader, target_writer), _pipe(target_reader, client_writer))
            target_writer.close()
            client_writer.close()
            return
        client_writer.close()  # no target: the connection is reset, as on AWS

    def close(self) -> None:
        for arn in list(self._servers):
            server, name = self._servers.pop(arn)
            self._registry.close(KIND, name)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until end of stream, then half-close; a reset closes the other side too."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(None) as idle:
            while True:
                idle.reschedule(loop.time() + IDLE_TIMEOUT_SECONDS)
                data = await reader.read(_CHUNK)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError, asyncio.TimeoutError):
        writer.close()
