"""The ECS service scheduler and the NLB data plane, driven through the library like notebook 02.

The real Mysfits service is deployed once for the module (core stack, build-context image,
cluster, log group, NLB, task definition, service); every test then checks one AWS-shaped
behaviour through boto3 and real HTTP to the load balancer's loopback endpoint: the API,
names, tasks and target health, logs, StopTask, a crashed task, a rolling update, the
deployment circuit breaker with rollback, and cleanup leaving no process behind. Each test starts
from a steady service (cleanup's test deploys it again for the tests after it, as the ensure_
steps are idempotent), so the tests run in any order. Waits end on the condition, with deadlines
from the local cloud's configured intervals (deadlines.py); durations are printed, not asserted.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psutil
import pytest
import requests

import mysfits
from mysfits import cleanup, fargate, loadbalancer, servicestack
from mysfits.fargate import CONTAINER_NAME, Service
from mysfits.images import Image
from mysfits.loadbalancer import SERVICE_PORT, LoadBalancer
from mysfits.network import CoreNetwork
from mysfits.workshop import Workshop

from . import deadlines
from .conftest import mysfits_cli
from .helpers import poll

pytestmark = pytest.mark.integration


DESIRED = 2
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
ESSENTIAL_EXITED = "Essential container in task exited"
FAILED_EVENT = "deployment failed: tasks failed to start"
_SERVING = re.compile(r"serving on 127\.0\.0\.1:(\d+)")  # tasks listen on loopback only
_ACCESS_LINE = re.compile(r"mysfits_service\.access GET /mysfits(\?\S*)? 200 ")
MIN_REQUESTS = 50  # traffic a disruption test sends at least, so 99 % means at most 0 failures
DEPLOY_TIMEOUT = 120  # the whole stack on a loaded machine; the steps have their own deadlines


@dataclass
class Deployed:
    """What the module deployed, plus every task process seen (for the no-leftovers check)."""

    ws: Workshop
    cloud_pid: int
    home: Any
    core: CoreNetwork = field(init=False)
    image: Image = field(init=False)
    balancer: LoadBalancer = field(init=False)
    service: Service = field(init=False)
    group: dict[str, Any] = field(init=False)  # the target group, with its health-check settings
    processes: dict[int, psutil.Process] = field(default_factory=dict)
    deleted: bool = True

    @property
    def ecs(self) -> Any:
        return self.ws.client("ecs")

    def deploy(self) -> Deployed:
        """Deploy the real service as notebook 02 does (again, if cleanup's test deleted it)."""
        if self.deleted:
            ws, timeout = self.ws, DEPLOY_TIMEOUT
            stack = servicestack.ensure_service_stack(ws, desired_count=DESIRED, timeout=timeout)
            loadbalancer.wait_for_healthy_targets(ws, stack.balancer, DESIRED, timeout=timeout)
            self.core, self.image, self.service = stack.core, stack.image, stack.service
            self.balancer = stack.balancer
            self.group = loadbalancer.find_target_group(self.ws) or {}
            self.processes.clear()
            self.deleted = False
        return self


@pytest.fixture(scope="module")
def deployment(local_cloud: dict[str, object]) -> Iterator[Deployed]:
    """One deployment for the module's tests; everything deleted afterwards."""
    # The `ws` fixture's recipe (a prefix of its own), at module scope so that one deployment serves
    # every test.
    ws = mysfits.connect(
        "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    try:
        pid = int(str(local_cloud["pid"]))
        yield Deployed(ws, pid, local_cloud["home"])
    finally:
        cleanup.delete_everything(ws)


@pytest.fixture
def deployed(deployment: Deployed) -> Deployed:
    """The module's deployment, deployed (again) if need be."""
    return deployment.deploy()


# -- helpers ---------------------------------------------------------------------------------


def task_ip(task: dict[str, Any]) -> str:
    details = [
        d
        for a in task.get("attachments", [])
        if a["type"] == "ElasticNetworkInterface"
        for d in a["details"]
        if d["name"] == "privateIPv4Address"
    ]
    assert len(details) == 1, task.get("attachments")
    return str(details[0]["value"])


def task_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def tasks(dep: Deployed, desired_status: str = "RUNNING") -> list[dict[str, Any]]:
    """The service's tasks with this desired status (ListTasks + DescribeTasks)."""
    arns = dep.ecs.list_tasks(
        cluster=dep.ws.names.cluster, serviceName=dep.ws.names.service, desiredStatus=desired_status
    )["taskArns"]
    return dep.ecs.describe_tasks(cluster=dep.ws.names.cluster, tasks=arns)["tasks"] if arns else []


def describe_task(dep: Deployed, arn: str) -> dict[str, Any]:
    return dep.ecs.describe_tasks(cluster=dep.ws.names.cluster, tasks=[arn])["tasks"][0]


def describe_service(dep: Deployed) -> dict[str, Any]:
    return dep.ecs.describe_services(cluster=dep.ws.names.cluster, services=[dep.ws.names.service])[
        "services"
    ][0]


def deregistration_delay(dep: Deployed) -> float:
    """How long a deregistered target of the service's group stays `draining`, in seconds."""
    attributes = dep.ws.client("elbv2").describe_target_group_attributes(
        TargetGroupArn=dep.balancer.target_group_arn
    )["Attributes"]
    values = {a["Key"]: a["Value"] for a in attributes}
    return float(values["deregistration_delay.timeout_seconds"])


def healthy_target_ids(dep: Deployed) -> set[str]:
    health = loadbalancer.target_health(dep.ws, dep.balancer)
    return {t["Target"]["Id"] for t in health if t["TargetHealth"]["State"] == "healthy"}


def steady(dep: Deployed) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The service and its tasks once steady: one COMPLETED deployment, all RUNNING and healthy."""
    service = describe_service(dep)
    deployments = service["deployments"]
    if (
        len(deployments) != 1
        or deployments[0]["rolloutState"] != "COMPLETED"
        or service["runningCount"] != DESIRED
    ):
        return None
    running = tasks(dep)
    if len(running) != DESIRED or any(t["lastStatus"] != "RUNNING" for t in running):
        return None
    return (service, running) if healthy_target_ids(dep) == {task_ip(t) for t in running} else None


def wait_steady(dep: Deployed) -> list[dict[str, Any]]:
    """Running tasks once steady (an earlier test's rollout may still be replacing some)."""
    return poll(
        lambda: steady(dep),
        deadlines.replaced_and_healthy(dep.group),
        "the service to be steady with 2 healthy targets",
    )[1]


def stopped(dep: Deployed, arn: str) -> dict[str, Any] | None:
    """The task once its lastStatus is STOPPED."""
    task = describe_task(dep, arn)
    return task if task["lastStatus"] == "STOPPED" else None


def task_processes(dep: Deployed, running: list[dict[str, Any]]) -> dict[str, psutil.Process]:
    """Each running task's local process: its log says its port, the process's PORT which it is.

    Every process seen is remembered for the final no-leftovers check.
    """
    logs = dep.ws.client("logs")
    ports: dict[int, str] = {}
    for task in running:
        events = logs.get_log_events(
            logGroupName=dep.ws.names.log_group,
            startFromHead=True,
            logStreamName=f"service/{CONTAINER_NAME}/{task_id(task['taskArn'])}",
        )["events"]
        found = [int(m.group(1)) for e in events for m in [_SERVING.search(e["message"])] if m]
        assert found, f"no 'serving on' line in the log of task {task_id(task['taskArn'])}"
        ports[found[-1]] = task["taskArn"]
    by_task: dict[str, psutil.Process] = {}
    for child in psutil.Process(dep.cloud_pid).children():
        try:
            if "mysfits_service" not in " ".join(child.cmdline()):
                continue
            port = int(child.environ().get("PORT", "0"))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if port in ports:
            by_task[ports[port]] = child
            dep.processes[child.pid] = child
    assert set(by_task) == {t["taskArn"] for t in running}, (ports, by_task)
    return by_task


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Traffic(threading.Thread):
    """GET /mysfits through the load balancer in a loop, new connection per request, 2 s timeout."""

    def __init__(self, base_url: str):
        super().__init__(name="traffic", daemon=True)
        self._url = f"{base_url}/mysfits"
        self._halt = threading.Event()
        self.ok = 0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                response = requests.get(self._url, timeout=2, headers={"Connection": "close"})
                if response.status_code == 200 and len(response.json()["mysfits"]) == 12:
                    self.ok += 1
                else:
                    self.failures.append(f"HTTP {response.status_code}: {response.text[:80]}")
            except (requests.RequestException, ValueError, KeyError) as error:
                self.failures.append(f"{type(error).__name__}: {error}")

    def finish(self, at_least: int = MIN_REQUESTS) -> Traffic:
        """Stop once `at_least` requests were answered (the loop began before the event)."""

        def enough() -> bool:
            return self.total >= at_least or not self.is_alive()

        poll(enough, 2 * at_least, f"{at_least} requests")  # each request times out after 2 s
        self._halt.set()
        self.join(timeout=10)
        return self

    @property
    def total(self) -> int:
        return self.ok + len(self.failures)

    @property
    def success_rate(self) -> float:
        return self.ok / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.ok}/{self.total} succeeded; first failures: {self.failures[:3]}"


# -- the API through the load balancer -------------------------------------------------------


def test_api_answers_through_the_load_balancer(deployed: Deployed) -> None:
    api = deployed.balancer.url
    listed = requests.get(f"{api}/mysfits", timeout=5)
    assert listed.status_code == 200 and len(listed.json()["mysfits"]) == 12

    evil = requests.get(f"{api}/mysfits", params={"filter": "GoodEvil", "value": "Evil"}, timeout=5)
    assert evil.status_code == 200
    assert [m["goodEvil"] for m in evil.json()["mysfits"]] == ["Evil"] * 4

    bad_filter = requests.get(
        f"{api}/mysfits", params={"filter": "Colour", "value": "Red"}, timeout=5
    )
    assert bad_filter.status_code == 400 and bad_filter.json()["error"]["code"] == "bad_request"

    unknown = requests.get(f"{api}/mysfits/{UNKNOWN_ID}", timeout=5)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_load_balancer_names_and_endpoint_look_like_aws(deployed: Deployed) -> None:
    ws, name = deployed.ws, deployed.ws.names.load_balancer
    described = ws.client("elbv2").describe_load_balancers(Names=[name])["LoadBalancers"][0]
    assert re.fullmatch(
        rf"arn:aws:elasticloadbalancing:us-east-1:{ws.account_id}:loadbalancer/net/{name}/[0-9a-f]{{16}}",
        described["LoadBalancerArn"],
    )
    assert re.fullmatch(
        rf"{name}-[0-9a-f]{{16}}\.elb\.us-east-1\.amazonaws\.com", described["DNSName"]
    )
    assert (described["Type"], described["Scheme"]) == ("network", "internet-facing")

    listed = json.loads(mysfits_cli(deployed.home, "local", "endpoints").stdout)
    mine = [e for e in listed if e["kind"] == "nlb" and e["name"] == name]
    assert mine == [
        {
            "kind": "nlb",
            "name": name,
            "aws_url": f"http://{described['DNSName']}",
            "local_url": deployed.balancer.url,
        }
    ]
    assert deployed.balancer.aws_url == f"http://{described['DNSName']}"
    assert (
        ws.url(f"http://{described['DNSName']}/mysfits?x=1")
        == f"{deployed.balancer.url}/mysfits?x=1"
    )


def test_tasks_run_with_private_ips_that_are_the_healthy_targets(deployed: Deployed) -> None:
    running = wait_steady(deployed)
    arns = deployed.ecs.list_tasks(
        cluster=deployed.ws.names.cluster, serviceName=deployed.ws.names.service
    )["taskArns"]
    assert sorted(arns) == sorted(t["taskArn"] for t in running) and len(arns) == DESIRED
    for task in running:
        assert (task["lastStatus"], task["desiredStatus"], task["launchType"]) == (
            "RUNNING",
            "RUNNING",
            "FARGATE",
        )
        assert task["group"] == f"service:{deployed.ws.names.service}"
        assert task["taskDefinitionArn"] == describe_service(deployed)["taskDefinition"]
        assert re.fullmatch(r"10\.\d+\.\d+\.\d+", task_ip(task))
    # The targets of tasks an earlier test stopped stay `draining` for the deregistration delay.
    ips = {task_ip(t) for t in running}

    def only_running() -> list[dict[str, Any]] | None:
        health = loadbalancer.target_health(deployed.ws, deployed.balancer)
        return health if {t["Target"]["Id"] for t in health} == ips else None

    health = poll(
        only_running,
        deadlines.drained(deregistration_delay(deployed)),
        "the target group to list only the running tasks",
    )
    assert sorted(
        (t["Target"]["Id"], t["Target"]["Port"], t["TargetHealth"]["State"]) for t in health
    ) == sorted((task_ip(t), SERVICE_PORT, "healthy") for t in running)


def test_task_output_lands_in_cloudwatch_logs(deployed: Deployed) -> None:
    running = wait_steady(deployed)
    for _ in range(4):
        assert requests.get(f"{deployed.balancer.url}/mysfits", timeout=5).status_code == 200
    logs, group = deployed.ws.client("logs"), deployed.ws.names.log_group
    streams = {
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]
    }
    wanted = {f"service/{CONTAINER_NAME}/{task_id(t['taskArn'])}" for t in running}
    assert wanted <= streams

    def access_lines() -> list[str] | None:
        lines = [
            e["message"]
            for stream in wanted
            for e in logs.get_log_events(
                logGroupName=group, logStreamName=stream, startFromHead=True
            )["events"]
            if _ACCESS_LINE.search(e["message"])
        ]
        return lines if len(lines) >= 4 else None

    lines = poll(access_lines, 5, "four access-log lines for GET /mysfits")
    assert all(re.search(r" \d+\.\dms$", line) for line in lines)


# -- tasks stopping and crashing -------------------------------------------------------------


def test_stop_task_is_answered_like_aws_and_the_service_replaces_it(deployed: Deployed) -> None:
    ecs, cluster = deployed.ecs, deployed.ws.names.cluster
    running = wait_steady(deployed)
    task_processes(deployed, running)
    victim = running[0]["taskArn"]
    traffic = Traffic(deployed.balancer.url)
    traffic.start()
    stopped_at = time.monotonic()
    answer = ecs.stop_task(cluster=cluster, task=victim)["task"]
    assert answer["taskArn"] == victim and answer["desiredStatus"] == "STOPPED"
    assert (answer["stopCode"], answer["stoppedReason"]) == (
        "UserInitiated",
        "Task stopped by user",
    )
    assert answer["lastStatus"] != "STOPPED"  # StopTask answers before the task has stopped
    assert victim in [t["taskArn"] for t in tasks(deployed, "STOPPED")]
    assert victim not in [t["taskArn"] for t in tasks(deployed)]

    def two_running() -> list[dict[str, Any]] | None:
        now = tasks(deployed)
        return (
            now if len(now) == DESIRED and all(t["lastStatus"] == "RUNNING" for t in now) else None
        )

    replaced = poll(two_running, deadlines.task_running(), "two RUNNING tasks again")
    recovery = (
        time.monotonic() - stopped_at
    )  # reported, not asserted: the poll's deadline bounds it
    assert victim not in [t["taskArn"] for t in replaced]

    final = poll(
        lambda: stopped(deployed, victim),
        deadlines.task_stopped(),
        "the stopped task to reach lastStatus STOPPED",
    )
    assert (final["desiredStatus"], final["stopCode"], final["stoppedReason"]) == (
        "STOPPED",
        "UserInitiated",
        "Task stopped by user",
    )
    assert final["stoppingAt"] <= final["stoppedAt"]
    traffic.finish()
    assert traffic.total >= MIN_REQUESTS and traffic.success_rate >= 0.99, str(traffic)
    print(f"\nStopTask: back to {DESIRED} RUNNING in {recovery:.1f} s; traffic meanwhile {traffic}")


def test_a_crashed_task_is_replaced(deployed: Deployed) -> None:
    running = wait_steady(deployed)
    victim = running[0]["taskArn"]
    process = task_processes(deployed, running)[victim]
    process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    crashed = poll(
        lambda: stopped(deployed, victim), deadlines.task_stopped(), "the killed task to be STOPPED"
    )
    assert (crashed["desiredStatus"], crashed["stoppedReason"], crashed["stopCode"]) == (
        "STOPPED",
        ESSENTIAL_EXITED,
        "EssentialContainerExited",
    )
    container = crashed["containers"][0]
    assert (container["name"], container["lastStatus"], container["exitCode"]) == (
        CONTAINER_NAME,
        "STOPPED",
        137,
    )

    replaced = poll(
        lambda: (now := tasks(deployed))
        and len(now) == DESIRED
        and victim not in [t["taskArn"] for t in now]
        and all(t["lastStatus"] == "RUNNING" for t in now)
        and now,
        deadlines.task_running(),
        "a replacement task",
    )
    print(f"\ncrash: replaced and RUNNING after {time.monotonic() - killed_at:.1f} s")
    revisions = [t["taskDefinitionArn"] for t in replaced]
    # the revision the service runs now (an earlier test in this module may have rolled it)
    assert revisions == [describe_service(deployed)["taskDefinition"]] * DESIRED
    wait_steady(deployed)


# -- deployments ------------------------------------------------------------------------------


def old_tasks_stopped(dep: Deployed, definition: str) -> list[dict[str, Any]] | None:
    """The tasks of `definition` once none runs and each has reached lastStatus STOPPED."""
    if any(t["taskDefinitionArn"] == definition for t in tasks(dep)):
        return None
    old = [t for t in tasks(dep, "STOPPED") if t["taskDefinitionArn"] == definition]
    return old if old and all(t["lastStatus"] == "STOPPED" for t in old) else None


def events_since(dep: Deployed, known: set[str]) -> list[str]:
    """The service's event messages that are not in `known` (ids), newest first."""
    return [e["message"] for e in describe_service(dep)["events"] if e["id"] not in known]


def test_rolling_update_keeps_serving(deployed: Deployed) -> None:
    dep = deployed
    wait_steady(dep)
    before = describe_service(dep)["taskDefinition"]
    extra = uuid.uuid4().hex[:8]  # a revision no earlier test made
    revision = fargate.ensure_task_definition(
        dep.ws, dep.core, dep.image, environment={"EXTRA": extra}
    )
    assert revision != before
    traffic = Traffic(dep.balancer.url)
    traffic.start()
    started = time.monotonic()
    fargate.ensure_service(dep.ws, dep.core, dep.balancer, revision, desired_count=DESIRED)
    # UpdateService lists the new deployment at once; the old one stays COMPLETED until the new
    # tasks pass two health checks, HealthCheckIntervalSeconds (5 s) apart: this state lasts.
    rolling = describe_service(dep)["deployments"]
    assert [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in rolling] == [
        ("PRIMARY", "IN_PROGRESS", revision),
        ("ACTIVE", "COMPLETED", before),
    ]

    def completed() -> dict[str, Any] | None:
        done = steady(dep)
        return done[0] if done and done[0]["deployments"][0]["taskDefinition"] == revision else None

    service = poll(
        completed, deadlines.replaced_and_healthy(dep.group), "the rolling update to complete"
    )
    rollout = time.monotonic() - started
    # The replaced tasks finish stopping while traffic still flows.
    poll(lambda: old_tasks_stopped(dep, before), deadlines.task_stopped(), "the old tasks to stop")
    traffic.finish()
    (deployment,) = service["deployments"]
    assert (deployment["status"], deployment["rolloutState"], deployment["taskDefinition"]) == (
        "PRIMARY",
        "COMPLETED",
        revision,
    )
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    running = tasks(dep)
    assert [t["taskDefinitionArn"] for t in running] == [revision] * DESIRED
    assert all(p.environ().get("EXTRA") == extra for p in task_processes(dep, running).values())
    assert traffic.total >= MIN_REQUESTS and traffic.success_rate >= 0.99, str(traffic)
    print(f"\nrolling update: COMPLETED in {rollout:.1f} s; traffic meanwhile {traffic}")


def crashed_on_start(stopped_tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tasks that exited with the service's start-up error (exit code 2).

    Each such failure counts; a task still starting when the breaker trips is stopped by the
    scheduler instead ("Scaling activity initiated by (deployment ...)", SIGTERM: exit code 143).
    """
    return [
        t
        for t in stopped_tasks
        if (t["stoppedReason"], t["containers"][0]["exitCode"]) == (ESSENTIAL_EXITED, 2)
    ]


def test_circuit_breaker_fails_a_broken_revision_and_rolls_back(deployed: Deployed) -> None:
    dep = deployed
    wait_steady(dep)
    good = describe_service(dep)["taskDefinition"]
    broken = fargate.ensure_task_definition(
        dep.ws,
        dep.core,
        dep.image,
        environment={"EXTRA": "1", "MYSFITS_LIST_CACHE_SECONDS": "not-a-number"},
    )
    assert broken != good
    known = {e["id"] for e in describe_service(dep)["events"]}
    traffic = Traffic(dep.balancer.url)
    traffic.start()
    fargate.ensure_service(dep.ws, dep.core, dep.balancer, broken, desired_count=DESIRED)

    # The FAILED deployment is listed only until the rollback replaces it (one heartbeat here), so
    # the test waits for what lasts: the service's events, its steady state, the stopped tasks.
    def rolled_back() -> dict[str, Any] | None:
        done = steady(dep)
        failed = any(FAILED_EVENT in m for m in events_since(dep, known))
        on_good = done and done[0]["deployments"][0]["taskDefinition"] == good
        return done[0] if failed and on_good else None

    threshold = 3  # max(3, ceil(desired / 2)) failed tasks trip the breaker
    deadline = deadlines.crash_loop(threshold) + deadlines.replaced_and_healthy(dep.group)
    service = poll(
        rolled_back, deadline, "the circuit breaker to fail the deployment and roll back"
    )
    broken_tasks = poll(
        lambda: old_tasks_stopped(dep, broken),
        deadlines.task_stopped(),
        "every task of the broken revision to stop",
    )
    traffic.finish()
    messages = events_since(dep, known)
    assert any(FAILED_EVENT in m for m in messages), messages[:5]
    (deployment,) = service["deployments"]
    assert (deployment["taskDefinition"], deployment["rolloutState"], service["runningCount"]) == (
        good,
        "COMPLETED",
        2,
    )
    assert [t["taskDefinitionArn"] for t in tasks(dep)] == [good] * DESIRED
    crashed = crashed_on_start(broken_tasks)
    assert len(crashed) >= threshold, [
        (t["stoppedReason"], t["containers"][0].get("exitCode")) for t in broken_tasks
    ]
    startup_log = dep.ws.client("logs").get_log_events(
        logGroupName=dep.ws.names.log_group,
        startFromHead=True,
        logStreamName=f"service/{CONTAINER_NAME}/{task_id(crashed[0]['taskArn'])}",
    )["events"]
    assert any("MYSFITS_LIST_CACHE_SECONDS must be a number" in e["message"] for e in startup_log)
    assert traffic.total >= MIN_REQUESTS and traffic.success_rate >= 0.99, str(traffic)
    assert requests.get(f"{dep.balancer.url}/mysfits", timeout=5).status_code == 200


# -- cleanup -----------------------------------------------------------------------------------


def test_cleanup_leaves_no_task_process_and_no_listener(deployed: Deployed) -> None:
    dep = deployed
    task_processes(dep, tasks(dep))
    remembered = list(dep.processes.values())
    assert len(remembered) >= DESIRED
    port = urlsplit(dep.balancer.url).port
    try:
        cleanup.delete_everything(dep.ws)
    finally:
        dep.deleted = True  # the tests after this one deploy again
    assert cleanup.check_nothing_left(dep.ws).ok
    poll(
        lambda: not any(alive(p) for p in remembered),
        deadlines.task_stopped(),
        "every task process to exit",
    )
    assert [
        c for c in psutil.Process(dep.cloud_pid).children() if c.pid in dep.processes and alive(c)
    ] == []
    assert not [
        e
        for e in dep.ws.endpoints()
        if e["kind"] == "nlb" and e["name"] == dep.ws.names.load_balancer
    ]
    listening = {
        c.laddr.port
        for c in psutil.Process(dep.cloud_pid).net_connections("tcp")
        if c.status == psutil.CONN_LISTEN
    }
    assert port not in listening
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
