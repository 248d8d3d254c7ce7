"""publish_image with a Docker engine: the real Docker SDK against a fake engine, ECR stubbed.

No Docker daemon runs here, so `_docker_client` and `_docker_push` would otherwise never run
before a learner with Docker ran them. The fake engine answers the Engine API calls the SDK
makes (version, ping, build, inspect, tag, push) and records them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from botocore.stub import Stubber

from mysfits import images
from mysfits.buildcontext import DEFAULT_DOCKERFILE
from mysfits.errors import WorkshopError
from mysfits.workshop import Workshop

from .fakes import Request, http_server, stub

IMAGE_ID = "sha256:" + "ab12" * 16
DIGEST = "sha256:" + "cd34" * 16
PASSWORD = "ecr-password-from-the-token"


class FakeEngine:
    """Enough of the Docker Engine API for build, tag and push; `refuse`: tag -> push error."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.refuse = refuse or {}
        self.calls: list[tuple[str, str, dict[str, list[str]], Request]] = []

    def __call__(self, request: Request) -> tuple[int, str, bytes | list[bytes]]:
        parts = urlsplit(request.path)
        path = unquote(re.sub(r"^/v[\d.]+", "", parts.path))
        query = parse_qs(parts.query)
        self.calls.append((request.method, path, query, request))
        if path == "/version":
            return (
                200,
                "application/json",
                json.dumps({"ApiVersion": "1.45", "MinAPIVersion": "1.24"}).encode(),
            )
        if path == "/_ping":
            return 200, "text/plain", b"OK"
        if path == "/build":
            return self._stream(
                {"stream": "Step 1/9 : FROM python:3.11-slim\n"},
                {"aux": {"ID": IMAGE_ID}},
                {"stream": f"Successfully built {IMAGE_ID[7:19]}\n"},
            )
        if path == f"/images/{IMAGE_ID[7:19]}/json":
            return 200, "application/json", json.dumps({"Id": IMAGE_ID, "RepoTags": []}).encode()
        if path == f"/images/{IMAGE_ID}/tag":
            return 201, "text/plain", b""
        if path.endswith("/push"):
            return self._push(query["tag"][0])
        return 404, "application/json", json.dumps({"message": f"page not found: {path}"}).encode()

    def _push(self, tag: str) -> tuple[int, str, list[bytes]]:
        lines: list[dict[str, object]] = [
            {"status": "The push refers to repository [registry/repo]"},
            {
                "status": "Pushing",
                "progressDetail": {"current": 512, "total": 1024},
                "id": "5f70bf18a086",
            },
        ]
        if tag in self.refuse:
            lines.append({"errorDetail": {"message": self.refuse[tag]}, "error": self.refuse[tag]})
        else:
            lines.append({"status": f"{tag}: digest: {DIGEST} size: 1573"})
        return self._stream(*lines)

    @staticmethod
    def _stream(*lines: dict[str, object]) -> tuple[int, str, list[bytes]]:
        return 200, "application/json", [json.dumps(line).encode() + b"\r\n" for line in lines]

    def requests_to(self, suffix: str) -> list[tuple[str, dict[str, list[str]], Request]]:
        return [
            (path, query, request)
            for _, path, query, request in self.calls
            if path.endswith(suffix)
        ]


@pytest.fixture
def ws(session: boto3.Session) -> Workshop:
    """A workshop whose only AWS calls are stubbed. moto is left out: it intercepts any request
    whose URL holds an AWS hostname, and the engine's push URL holds the ECR registry's."""
    return Workshop("aws", "us-east-1", "unit", session, "123456789012")


@pytest.fixture
def repository(ws: Workshop) -> images.Repository:
    name = ws.names.ecr_repository
    return images.Repository(
        name,
        f"{ws.account_id}.dkr.ecr.{ws.region}.amazonaws.com/{name}",
        f"arn:aws:ecr:{ws.region}:{ws.account_id}:repository/{name}",
    )


def _tag_absent(stubber: Stubber, repository: str) -> None:
    """ECR answers that no image has the source's tag yet (publish_image looks first)."""
    stubber.add_client_error(
        "describe_images",
        "ImageNotFoundException",
        expected_params={
            "repositoryName": repository,
            "imageIds": [{"imageTag": images.source_tag()}],
        },
    )


@pytest.fixture
def ecr(ws: Workshop) -> Iterator[Stubber]:
    stubber = stub(ws, "ecr")
    _tag_absent(stubber, ws.names.ecr_repository)
    token = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
    stubber.add_response(
        "get_authorization_token",
        {
            "authorizationData": [
                {
                    "authorizationToken": token,
                    "expiresAt": datetime(2030, 1, 1, tzinfo=UTC),
                    "proxyEndpoint": f"https://{ws.account_id}.dkr.ecr.{ws.region}.amazonaws.com",
                }
            ]
        },
    )
    yield stubber
    stubber.assert_no_pending_responses()


def _engine_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DOCKER_HOST", url.replace("http://", "tcp://"))
    for name in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_publish_builds_tags_and_pushes_with_the_ecr_token(
    ws: Workshop, repository: images.Repository, ecr: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = images.source_tag()
    ecr.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": DIGEST, "imageTags": [tag, "latest"]}]},
        {"repositoryName": repository.name, "imageIds": [{"imageTag": tag}]},
    )
    engine = FakeEngine()
    with http_server(engine) as url:
        _engine_at(monkeypatch, url)
        image = images.publish_image(ws, repository)

    assert image == images.Image(repository.name, tag, DIGEST, f"{repository.uri}:{tag}", "docker")
    [(_, build, context)] = engine.requests_to("/build")
    assert build["t"] == [f"{repository.uri}:{tag}"] and build["dockerfile"] == [DEFAULT_DOCKERFILE]
    assert context.body, "the build context was sent"
    assert [q["tag"] for _, q, _ in engine.requests_to("/tag")] == [[tag], ["latest"]]
    pushes = engine.requests_to("/push")
    assert [(path, q["tag"]) for path, q, _ in pushes] == [
        (f"/images/{repository.uri}/push", [tag]),
        (f"/images/{repository.uri}/push", ["latest"]),
    ]
    for _, _, request in pushes:
        auth = json.loads(base64.urlsafe_b64decode(request.headers["X-Registry-Auth"]))
        assert (auth["username"], auth["password"]) == ("AWS", PASSWORD)


def test_a_refused_push_stops_with_the_registrys_message(
    ws: Workshop, repository: images.Repository, ecr: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = "denied: Your authorization token has expired. Reauthenticate and try again."
    engine = FakeEngine(refuse={"latest": refusal})
    with http_server(engine) as url:
        _engine_at(monkeypatch, url)
        with pytest.raises(WorkshopError, match=f"docker push failed: {re.escape(refusal)}"):
            images.publish_image(ws, repository)
    assert [q["tag"] for _, q, _ in engine.requests_to("/push")] == [
        [images.source_tag()],
        ["latest"],
    ]
    # The ecr fixture checks that describe_images was not called: no Image for a failed push.


def test_an_image_already_under_its_source_tag_is_not_built_again(
    ws: Workshop, repository: images.Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag, ecr = images.source_tag(), stub(ws, "ecr")
    ecr.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": DIGEST, "imageTags": [tag]}]},
        {"repositoryName": repository.name, "imageIds": [{"imageTag": tag}]},
    )
    engine = FakeEngine()
    with http_server(engine) as url:
        _engine_at(monkeypatch, url)
        image = images.publish_image(ws, repository)
    assert image.digest == DIGEST and image.built_with == "already in the repository"
    assert engine.requests_to("/build") == [] and engine.requests_to("/push") == []
    ecr.assert_no_pending_responses()


def test_a_reachable_engine_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine()
    with http_server(engine) as url:
        _engine_at(monkeypatch, url)
        client = images._docker_client()
    assert client is not None and engine.requests_to("/_ping")


def test_no_engine_on_aws_names_the_fix(
    ws: Workshop, repository: images.Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-docker.sock'}")
    assert images._docker_client() is None
    _tag_absent(stub(ws, "ecr"), repository.name)
    with pytest.raises(
        images.NoDockerEngine, match="start Docker .* or let the CI/CD pipeline build it"
    ):
        images.publish_image(ws, repository)
