"""The `mysfits local` commands: status, endpoints, idempotent start, busy port, clean stop."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import psutil
import pytest
import requests

from mysfits import website
from mysfits.workshop import Workshop

from .conftest import mysfits_cli


def test_status_reports_endpoint_and_pid(local_cloud: dict[str, object]) -> None:
    assert str(local_cloud["endpoint_url"]).startswith("http://127.0.0.1:")
    assert psutil.pid_exists(int(local_cloud["pid"]))  # type: ignore[call-overload]
    assert (
        requests.get(f"{local_cloud['endpoint_url']}/_mysfits/health", timeout=5).json()[
            "moto_version"
        ]
        == "5.2.5"
    )


def test_second_start_says_so_and_succeeds(local_cloud: dict[str, object]) -> None:
    again = mysfits_cli(local_cloud["home"], "local", "start", "--detach")  # type: ignore[arg-type]
    assert again.returncode == 0
    assert "already running" in again.stdout and str(local_cloud["pid"]) in again.stdout


def test_endpoints_is_a_json_array(local_cloud: dict[str, object], ws: Workshop) -> None:
    site = website.ensure_website(ws, website.ensure_site_bucket(ws))  # something to list
    listed = json.loads(mysfits_cli(local_cloud["home"], "local", "endpoints").stdout)  # type: ignore[arg-type]
    assert isinstance(listed, list)
    mine = {
        "kind": "s3-website",
        "name": site.bucket,
        "aws_url": site.aws_url,
        "local_url": site.url,
    }
    assert mine in listed
    assert all(set(e) == {"kind", "name", "aws_url", "local_url"} for e in listed)
    website.delete_site_bucket(ws, site.bucket)


def test_busy_port_fails_fast_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        for detach in (["--detach"], []):
            # Fast means it checks the port first: the answer is the port's, not the start-up
            # timeout's ("did not answer within ..."), whatever the machine's load.
            result = mysfits_cli(tmp_path, "local", "start", "--port", str(port), *detach)
            assert result.returncode == 3  # the local cloud's own PortBusy, passed on by the CLI
            assert "did not answer" not in result.stderr
            assert f"port {port} is already in use" in result.stderr and "--port" in result.stderr
            assert "Traceback" not in result.stderr


def test_old_connections_in_time_wait_do_not_block_a_restart(tmp_path: Path) -> None:
    # A server that closed its connections first, as a crashed cloud's (SO_REUSEADDR as its own).
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        visitor = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()
        assert visitor.recv(1) == b""
        visitor.close()
    assert any(
        c.status == psutil.CONN_TIME_WAIT and c.laddr.port == port
        for c in psutil.net_connections("tcp4")
    )
    with socket.socket() as naive, pytest.raises(OSError):  # what the old port check did
        naive.bind(("127.0.0.1", port))
    started = mysfits_cli(tmp_path, "local", "start", "--detach", "--port", str(port))
    try:
        assert started.returncode == 0, started.stderr
        assert json.loads(mysfits_cli(tmp_path, "local", "status").stdout)["port"] == port
    finally:
        mysfits_cli(tmp_path, "local", "stop")


def test_stop_leaves_no_process_and_status_says_so(tmp_path: Path) -> None:
    assert mysfits_cli(tmp_path, "local", "start", "--detach", "--port", "0").returncode == 0
    pid = json.loads(mysfits_cli(tmp_path, "local", "status").stdout)["pid"]
    stopped = mysfits_cli(tmp_path, "local", "stop")
    assert stopped.returncode == 0 and f"pid {pid}" in stopped.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    after = mysfits_cli(tmp_path, "local", "status")
    assert after.returncode == 1 and json.loads(after.stdout)["running"] is False
    assert "no local cloud was running" in mysfits_cli(tmp_path, "local", "stop").stdout


def test_reset_forgets_every_resource(tmp_path: Path) -> None:
    import boto3

    assert mysfits_cli(tmp_path, "local", "start", "--detach", "--port", "0").returncode == 0
    try:
        url = json.loads(mysfits_cli(tmp_path, "local", "status").stdout)["endpoint_url"]
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        s3.create_bucket(Bucket="reset-me")
        assert mysfits_cli(tmp_path, "local", "reset").returncode == 0
        assert s3.list_buckets()["Buckets"] == []
    finally:
        mysfits_cli(tmp_path, "local", "stop")


def test_connect_without_a_cloud_names_the_fix(tmp_path: Path, monkeypatch) -> None:
    import pytest

    import mysfits
    from mysfits.errors import LocalCloudNotRunning

    monkeypatch.setenv("MYSFITS_HOME", str(tmp_path))
    monkeypatch.delenv("MYSFITS_ENDPOINT_URL", raising=False)
    with pytest.raises(LocalCloudNotRunning, match="mysfits local start --detach"):
        mysfits.connect("local")
    assert list(tmp_path.iterdir()) == []  # connecting started nothing and recorded nothing
