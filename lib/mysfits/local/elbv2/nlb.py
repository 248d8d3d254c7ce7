"""Network load balancers: each TCP listener on a loopback port of its own, to healthy targets.

As on AWS: new connections go to targets the health checks call healthy; when none is
healthy the load balancer fails open and uses every registered target. Unlike AWS, a
connection to a target that refuses it is retried on the next target (a listed gap).

Each listener has two loopback ports: the public one (the internet, what `mysfits local
endpoints` lists) and its PrivateLink side, where a VPC link's traffic arrives
(`privatelink_address`). Both admit a connection only when the NLB's security groups allow it
(`securitygroups.Admission`). AWS drops the packets of a refused connection silently, so the
client waits for its own timeout; here the connection is reset at once, so a test or a learner
sees the refusal without waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from moto.core import DEFAULT_ACCOUNT_ID
from moto.elbv2.models import FakeListener, FakeTargetGroup, elbv2_backends

from ..client import LOOPBACK_HOST
from ..core.endpoints import Endpoint, EndpointRegistry
from .securitygroups import Admission
from .targets import Address, HealthBook, TargetDirectory

KIND = "nlb"
IDLE_TIMEOUT_SECONDS = 350  # NLB's TCP idle timeout


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (a pinned dependency: ~50 us less per relayed request), or asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


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


def _target_group(arn: str) -> FakeTargetGroup | None:
    """The target group with this ARN, in whichever region moto keeps it."""
    for backend in elbv2_backends[DEFAULT_ACCOUNT_ID].values():
        group = backend.target_groups.get(arn)
        if group is not None:
            return group
    return None


def aws_url(dns_name: str, port: int) -> str:
    return f"http://{dns_name}" if port == 80 else f"http://{dns_name}:{port}"


Gate = Callable[[], bool]


@dataclass
class _Served:
    """One listener's two servers (public and PrivateLink) and its endpoint name."""

    public: asyncio.Server
    private: asyncio.Server
    private_port: int
    name: str
    balancer_arn: str
    port: int


class LoadBalancerProxies:
    """Serves every NLB listener on loopback from one asyncio loop thread."""

    def __init__(
        self,
        registry: EndpointRegistry,
        directory: TargetDirectory,
        health: HealthBook,
        admission: Admission,
    ):
        self._registry = registry
        self._directory = directory
        self._health = health
        self._admission = admission
        self._lock = threading.RLock()
        self._loop = _new_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="nlb-proxies", daemon=True
        )
        self._thread.start()
        self._servers: dict[str, _Served] = {}
        self._turns = itertools.count()
        self._relays: set[asyncio.Task[None]] = (
            set()
        )  # strong references: asyncio keeps only weak ones

    def reconcile(self) -> None:
        """Serve new listeners, stop serving deleted ones."""
        wanted: dict[str, tuple[Any, FakeListener]] = {}
        for backend in list(elbv2_backends[DEFAULT_ACCOUNT_ID].values()):
            for balancer in list(backend.load_balancers.values()):
                if balancer.type == "network":
                    for listener in list(balancer.listeners.values()):
                        wanted[listener.arn] = (balancer, listener)
        with self._lock:
            for arn in set(self._servers) - set(wanted):
                self._registry.close(KIND, self._servers.pop(arn).name)
            for arn, (balancer, listener) in wanted.items():
                if arn not in self._servers:
                    self._serve(balancer, listener)

    def privatelink_address(self, load_balancer_arn: str, port: int) -> tuple[str, int] | None:
        """Where a VPC link's connections to the NLB's listener on `port` arrive (None: no such
        listener)."""
        for attempt in range(2):
            with self._lock:
                for served in self._servers.values():
                    if served.balancer_arn == load_balancer_arn and served.port == port:
                        return LOOPBACK_HOST, served.private_port
            if attempt == 0:
                self.reconcile()  # created since the last heartbeat
        return None

    def _listen(self, listener: FakeListener, admit: Gate) -> asyncio.Server:
        async def start() -> asyncio.Server:
            return await self._loop.create_server(
                lambda: _Relay(self._loop, lambda r: self._connect(r, listener), admit).client,
                LOOPBACK_HOST,
                0,
            )

        return asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=10)

    def _serve(self, balancer: Any, listener: FakeListener) -> None:
        port = int(listener.port)
        public = self._listen(listener, lambda: self._admission.internet(balancer, port))
        private = self._listen(listener, lambda: self._admission.private_link(balancer, port))
        public_port = public.sockets[0].getsockname()[1]
        others = [p for p in balancer.listeners.values() if p.arn != listener.arn]
        name = balancer.name if not others else f"{balancer.name}:{listener.port}"

        def stop() -> None:
            for server in (public, private):
                server.close()
                asyncio.run_coroutine_threadsafe(server.wait_closed(), self._loop).result(10)

        private_port = private.sockets[0].getsockname()[1]
        self._servers[listener.arn] = _Served(
            public, private, private_port, name, balancer.arn, port
        )
        self._registry.add(
            Endpoint(
                KIND,
                name,
                aws_url(balancer.dns_name, int(listener.port)),
                f"http://{LOOPBACK_HOST}:{public_port}",
                stop,
            )
        )

    def _candidates(self, listener: FakeListener) -> list[Address]:
        group_arn = forward_target_group(listener)
        group = _target_group(group_arn) if group_arn else None
        if group is None:
            return []
        targets = [
            (target_id, int(t.get("Port") or group.port))
            for target_id, t in list(group.targets.items())
        ]
        healthy = [t for t in targets if self._health.healthy(group.arn, t[0])]
        return self._directory.locals(
            healthy or targets
        )  # fail open, as NLB does when no target is healthy

    def _connect(self, relay: _Relay, listener: FakeListener) -> None:
        """Connect a new client's relay to a target (round robin over the candidates)."""
        task = self._loop.create_task(relay.connect(self._candidates(listener), next(self._turns)))
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)

    def close(self) -> None:
        with self._lock:
            for arn in list(self._servers):
                self._registry.close(KIND, self._servers.pop(arn).name)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


class _Side(asyncio.Protocol):
    """One socket of a relayed connection: what it receives is written to the other side at once.

    No per-read coroutine, future or copy: the transport hands each chunk to `data_received`,
    which passes it to the peer transport (which sends it straight away when the socket can
    take it); flow control pauses reading on one side while the other side's buffer is full.
    """

    def __init__(self, relay: _Relay):
        self.relay = relay
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.eof = False
        self.early: list[bytes] = []  # what arrived before the other side was connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP connection's transport
        self.relay.made(self)

    @property
    def wire(self) -> asyncio.Transport:
        """The transport of a connected side (the relay calls this only after connection_made)."""
        if self.transport is None:
            raise RuntimeError("relay side used before its connection was made")
        return self.transport

    def data_received(self, data: bytes) -> None:
        self.relay.last_active = self.relay.loop.time()
        peer = self.peer.transport if self.peer is not None else None
        if peer is None:
            self.early.append(data)
        else:
            peer.write(data)

    def eof_received(self) -> bool:
        """Half-close: pass the FIN on, keep the other way flowing; close once both are done."""
        self.eof = True
        peer = self.peer
        if peer is not None and peer.transport is not None:
            if peer.transport.can_write_eof():
                peer.transport.write_eof()
            if peer.eof:
                self.relay.close()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.close(reset=exc is not None)

    def pause_writing(
        self,
    ) -> None:  # our send buffer is full: stop reading what would fill it more
        if self.peer is not None and self.peer.transport is not None and not self.peer.eof:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None and not self.peer.eof:
            self.peer.transport.resume_reading()


class _Relay:
    """A client connection and the target connection the listener chose for it."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, on_client: Callable[[_Relay], None], admit: Gate
    ):
        self.loop = loop
        self._admit = admit
        self.client, self.target = _Side(self), _Side(self)
        self.client.peer, self.target.peer = self.target, self.client
        self.last_active = loop.time()
        self.closed = False
        self._on_client = on_client
        self._idle = loop.call_later(IDLE_TIMEOUT_SECONDS, self._check_idle)

    def made(self, side: _Side) -> None:
        if side is not self.client:
            return
        if not self._admit():
            self.close(reset=True)  # the security groups refuse it (AWS drops it silently)
            return
        side.wire.pause_reading()  # until a target is connected
        self._on_client(self)

    async def connect(self, candidates: list[Address], turn: int) -> None:
        for offset in range(len(candidates)):
            host, port = candidates[(turn + offset) % len(candidates)]
            if self.closed:
                return
            try:
                await self.loop.create_connection(lambda: self.target, host, port)
            except OSError:
                continue  # refused: try the next target (a listed gap: AWS would reset the flow)
            if self.closed:
                self.target.wire.close()
                return
            if self.client.early:
                self.target.wire.write(b"".join(self.client.early))
                self.client.early.clear()
            if self.client.eof:
                self.client.eof_received()
            else:
                self.client.wire.resume_reading()
            return
        self.close(reset=True)  # no target: the connection is reset, as on AWS

    def _check_idle(self) -> None:
        """NLB's TCP idle timeout: a flow that carried nothing for 350 s is reset."""
        if self.closed:
            return
        remaining = self.last_active + IDLE_TIMEOUT_SECONDS - self.loop.time()
        if remaining > 0:
            self._idle = self.loop.call_later(remaining, self._check_idle)
        else:
            self.close(reset=True)

    def close(self, reset: bool = False) -> None:
        """Close both sides (flushing what is buffered), or reset them when one side failed."""
        if self.closed:
            return
        self.closed = True
        self._idle.cancel()
        for side in (self.client, self.target):
            transport = side.transport
            if transport is None or transport.is_closing():
                continue
            if reset:
                _reset(transport)
            else:
                transport.close()


def _reset(transport: asyncio.Transport) -> None:
    """Close with a TCP RST rather than a FIN (SO_LINGER with a zero timeout)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
