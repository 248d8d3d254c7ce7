"""`connect()` and the `Workshop`: one session, its names and tags, and URL resolution."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import boto3
import requests
from botocore import UNSIGNED
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from .apicalls import CallRecorder
from .errors import LocalCloudNotRunning, LocalCloudStopped, ResourceNotFound, WorkshopError
from .local import client as local_client
from .names import ResourceNames, validate_prefix

Target = Literal["local", "aws"]
PROJECT_TAG = "mythical-mysfits"
_CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})
# The local cloud ignores credentials; these are placeholders, not secrets.
_LOCAL_CREDENTIALS = {
    "aws_access_key_id": "mysfits-local",
    "aws_secret_access_key": "mysfits-local",
}


@dataclass
class Workshop:
    """Everything a notebook needs to talk to its target: session, names, tags, URLs."""

    target: Target
    region: str
    prefix: str
    session: boto3.Session
    account_id: str
    endpoint_url: str | None = None
    calls: CallRecorder = field(default_factory=CallRecorder, repr=False)
    _clients: dict[str, BaseClient] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Every client made from the session reports its calls (`ws.calls.table(...)` shows them).
        self.calls.attach(self.session)
        self.calls.endpoint_url = self.endpoint_url

    @property
    def names(self) -> ResourceNames:
        return ResourceNames(self.prefix, self.account_id, self.region)

    @property
    def tags(self) -> dict[str, str]:
        """Tags put on every resource, so cleanup can find them without a memory of the run."""
        return {"project": PROJECT_TAG, "workshop-prefix": self.prefix}

    def tag_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        """The tags in the list-of-pairs shape most AWS APIs take."""
        return [{key: k, value: v} for k, v in self.tags.items()]

    def client(self, service: str) -> BaseClient:
        """A boto3 client for `service`, pointed at the target (cached per service)."""
        if service not in self._clients:
            self._clients[service] = self._watched(
                self.session.client(service, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG)
            )
        return self._clients[service]

    def anonymous_client(self, service: str) -> BaseClient:
        """A client that sends unsigned requests, as an anonymous visitor would."""
        config = _CLIENT_CONFIG.merge(Config(signature_version=UNSIGNED))
        client = self.session.client(service, endpoint_url=self.endpoint_url, config=config)
        return self._watched(client)

    def _watched(self, client: BaseClient) -> BaseClient:
        """Locally, a connection failure because the cloud is gone says so, and what to do."""
        if self.endpoint_url is not None:
            client.meta.events.register("after-call-error", self._explain_connection_error)
        return client

    def _explain_connection_error(self, exception: Exception, **_: Any) -> None:
        # botocore re-raises what an after-call-error handler raises in place of its own error.
        url = self.endpoint_url
        connection_lost = isinstance(exception, (EndpointConnectionError, ConnectionClosedError))
        stopped = connection_lost and not isinstance(exception, LocalCloudStopped)
        if url is not None and stopped and local_client.answers(url) is None:
            raise LocalCloudStopped(endpoint_url=url) from exception

    @property
    def capabilities(self) -> frozenset[str]:
        """Extras the target offers beyond AWS (the local cloud runs build-context images)."""
        if self.endpoint_url is None:
            return frozenset()
        health = local_client.answers(self.endpoint_url) or {}
        return frozenset(health.get("capabilities", []))

    def endpoints(self) -> list[dict[str, str]]:
        """The local cloud's data-plane endpoints (AWS needs no mapping: empty)."""
        if self.endpoint_url is None:
            return []
        try:
            return local_client.endpoints(self.endpoint_url)
        except requests.ConnectionError as error:
            raise LocalCloudStopped(endpoint_url=self.endpoint_url) from error

    def mailbox(self, to: str | None = None) -> list[dict[str, Any]] | None:
        """The messages the local cloud's user pools sent (to `to`); None on AWS, where they
        go to real inboxes that only their owners can read."""
        if self.endpoint_url is None:
            return None
        return local_client.mail(self.endpoint_url, to=to)

    def url(self, aws_url: str) -> str:
        """Where `aws_url` (website, load balancer or API URL) is reachable from here.

        On AWS that is the URL itself; on the local cloud the host is replaced by the
        loopback address of the endpoint that serves it, keeping path and query. An API
        stage's endpoint is its host and stage (`https://{id}.execute-api.{region}.amazonaws.com
        /{stage}`): each stage has its own local port, and the stage stays in the path.
        """
        if self.endpoint_url is None:
            return aws_url
        found = _map_url(aws_url, [(e["aws_url"], e["local_url"]) for e in self.endpoints()])
        if found is None:
            raise ResourceNotFound(
                f"the local cloud serves nothing for {urlsplit(aws_url).netloc}: run the "
                "notebook step that creates it, then list what is served with "
                "`mysfits local endpoints`"
            )
        return found

    def aws_url(self, local_url: str) -> str:
        """The AWS URL a local endpoint's URL stands for (`url` the other way round); on AWS,
        or for an address the local cloud does not serve, the URL itself."""
        if self.endpoint_url is None:
            return local_url
        pairs = [(e["local_url"], e["aws_url"]) for e in self.endpoints()]
        return _map_url(local_url, pairs) or local_url

    def _repr_html_(self) -> str:
        where = html.escape(self.endpoint_url or f"AWS account {self.account_id}")
        return (
            f"<b>Workshop</b> target <code>{self.target}</code>, "
            f"region <code>{self.region}</code>, "
            f"prefix <code>{html.escape(self.prefix)}</code>, "
            f"account <code>{self.account_id}</code> ({where})"
        )


def _map_url(url: str, pairs: list[tuple[str, str]]) -> str | None:
    """`url` moved from the first base of a pair to its second: same host, and the base's
    path (an API stage) a prefix of the URL's; the longest such base wins."""
    parts = urlsplit(url)
    best: tuple[int, str, str] | None = None
    for source, target in pairs:
        base = urlsplit(source)
        prefix = base.path.rstrip("/")
        if base.netloc.lower() != parts.netloc.lower():
            continue
        if parts.path != prefix and not parts.path.startswith(prefix + "/"):
            continue
        if best is None or len(prefix) > best[0]:
            best = (len(prefix), prefix, target)
    if best is None:
        return None
    _, prefix, target = best
    moved = urlsplit(target)
    path = moved.path.rstrip("/") + parts.path[len(prefix) :]
    return urlunsplit((moved.scheme, moved.netloc, path, parts.query, parts.fragment))


def connect(
    target: Target = "local",
    region: str = "us-east-1",
    prefix: str = "mysfits",
    endpoint_url: str | None = None,
) -> Workshop:
    """Open a `Workshop` on the embedded local cloud (`"local"`) or a real account (`"aws"`).

    `endpoint_url` picks a particular local cloud (tests run several); by default the
    running one is found through `$MYSFITS_ENDPOINT_URL` or the state file.
    """
    validate_prefix(prefix)
    if target == "local":
        info = local_client.find_running(endpoint_url)
        if info is None:
            raise LocalCloudNotRunning(
                "no local cloud is running: start one with `mysfits local start --detach` "
                "(or run the notebooks with `mysfits run`, which starts one)"
            )
        session = boto3.Session(region_name=region, **_LOCAL_CREDENTIALS)
        endpoint_url = info.endpoint_url
    elif target == "aws":
        session = boto3.Session(region_name=region)
        if session.get_credentials() is None:
            raise WorkshopError(
                "no AWS credentials found: run `aws configure` (or `aws sso login`) or set "
                "AWS_PROFILE, then connect again"
            )
        endpoint_url = None
    else:
        raise WorkshopError(f"unknown target {target!r}: use 'local' or 'aws'")
    calls = CallRecorder(endpoint_url=endpoint_url)
    calls.attach(session)  # before the first call, so the identity check is recorded too
    identity: dict[str, Any] = session.client(
        "sts", endpoint_url=endpoint_url
    ).get_caller_identity()
    return Workshop(target, region, prefix, session, identity["Account"], endpoint_url, calls)
