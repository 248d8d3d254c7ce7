"""Site version 3 on a fresh local cloud: a user pool, the table, the service and the site.

The service runs as the local cloud runs an ECS task without Docker (`python -m
mysfits_service` with the workshop's interpreter), configured with the pool, its JWKS on the
local cloud, and the module-3 table. The browser reaches the service directly: the API Gateway
stage in front of it (module 4's REST API) is not part of this test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

import mysfits
from mysfits import database, users, website
from mysfits.waiting import wait_until
from mysfits.workshop import Workshop

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SignInStack:
    ws: Workshop
    site_url: str
    api_url: str
    pool: users.UserPool
    client: users.AppClient
    table: str


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MYSFITS_ENDPOINT_URL"}
    env["MYSFITS_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "mysfits.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@contextmanager
def local_cloud(home: Path) -> Iterator[str]:
    started = cli(home, "local", "start", "--detach", "--port", "0")
    assert started.returncode == 0, started.stderr
    try:
        yield json.loads((home / "local-cloud.json").read_text())["endpoint_url"]
    finally:
        cli(home, "local", "stop")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def service(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mysfits_service"],
        cwd=ROOT / "service",
        env={**os.environ, **env, "PORT": str(port), "BIND_ADDRESS": "127.0.0.1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: _answers(url), timeout=30, interval=0.2, what="the Mysfits service to answer"
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def jwks_url(ws: Workshop, pool: users.UserPool) -> str:
    """Where the service reads the pool's keys: the AWS URL, mapped to the local cloud."""
    aws = f"{users.issuer(ws, pool)}/.well-known/jwks.json"
    wait_until(lambda: _served(ws, aws), timeout=30, what="the Cognito endpoint to be listed")
    return ws.url(aws)


def _served(ws: Workshop, aws_url: str) -> bool:
    try:
        ws.url(aws_url)
    except mysfits.errors.ResourceNotFound:
        return False
    return True


def site_config(ws: Workshop, api_url: str, pool: users.UserPool, client: users.AppClient) -> Any:
    """config.json of site version 3, as module 4 writes it."""
    return {
        "version": 3,
        "apiEndpoint": api_url,
        "cognito": {
            "region": ws.region,
            "userPoolId": pool.id,
            "clientId": client.id,
            "endpoint": ws.url(f"https://cognito-idp.{ws.region}.amazonaws.com"),
            "passwordPolicy": pool.password_policy,
        },
    }


@contextmanager
def signin_stack(home: Path) -> Iterator[SignInStack]:
    with local_cloud(home) as endpoint_url:
        ws = mysfits.connect("local", prefix=f"b{uuid.uuid4().hex[:6]}", endpoint_url=endpoint_url)
        table = database.ensure_table(ws)
        database.seed_table(ws, table)
        pool = users.ensure_user_pool(ws)
        client = users.ensure_app_client(ws, pool)
        env = {
            **database.service_environment(ws),
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": ws.region,
            "MYSFITS_COGNITO_POOL_ID": pool.id,
            "MYSFITS_COGNITO_REGION": ws.region,
            "MYSFITS_COGNITO_CLIENT_ID": client.id,
            "MYSFITS_COGNITO_JWKS_URL": jwks_url(ws, pool),
        }
        with service(env) as api_url:
            bucket = website.ensure_site_bucket(ws)
            website.upload_site(ws, bucket, config=site_config(ws, api_url, pool, client))
            website.ensure_public_read(ws, bucket)
            site = website.ensure_website(ws, bucket)
            yield SignInStack(ws, site.url, api_url, pool, client, table.name)
