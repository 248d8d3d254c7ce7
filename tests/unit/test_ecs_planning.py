"""The ECS scheduler's planning rules on snapshots of one service: no moto, processes or clock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from mysfits.local.ecs.planning import (
    CIRCUIT_BREAKER_REASON,
    COMPLETED,
    CRASH_BACKOFF,
    ESSENTIAL_EXITED,
    FAILED,
    IN_PROGRESS,
    SERVICE_DELETED,
    USER_STOPPED,
    Action,
    CountFailure,
    DeploymentPolicy,
    DeploymentView,
    DropDeployment,
    Event,
    HoldStarts,
    MarkDeployment,
    NewDeployment,
    RecordStopped,
    RegisterTask,
    RollBack,
    ServiceView,
    StartTask,
    StopTask,
    TaskState,
    TaskView,
    breaker_threshold,
    new_deployment,
    plan,
    scaling_reason,
)

NEW, OLD = "ecs-svc/new", "ecs-svc/old"
GOOD = "arn:aws:ecs:us-east-1:123456789012:task-definition/m:1"
BROKEN = "arn:aws:ecs:us-east-1:123456789012:task-definition/m:2"
GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123456789abcdef"
NOW = 100.0
DEFAULTS = DeploymentPolicy()
BREAKER = DeploymentPolicy(circuit_breaker=True, rollback=True)


def task(
    name: str, state: TaskState = TaskState.HEALTHY, deployment: str = NEW, **fields: Any
) -> TaskView:
    fields.setdefault("ever_healthy", state is TaskState.HEALTHY)
    fields.setdefault("started", NOW)  # just launched: not yet past the registration deadline
    return TaskView(f"task/{name}", deployment, state, **fields)


def steady(deployment: str = NEW, definition: str = GOOD, failed: int = 0) -> DeploymentView:
    return DeploymentView(deployment, definition, COMPLETED, failed)


def rolling(deployment: str = NEW, definition: str = BROKEN, failed: int = 0) -> DeploymentView:
    return DeploymentView(deployment, definition, IN_PROGRESS, failed)


def service(
    *tasks: TaskView,
    deployments: tuple[DeploymentView, ...] = (steady(),),
    desired: int = 2,
    **fields: Any,
) -> ServiceView:
    fields.setdefault("now", NOW)
    return ServiceView("svc", deployments, tasks, desired, **fields)


def of(kind: type, actions: list[Action]) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


# -- desired count ---------------------------------------------------------------------------------


def test_scale_up_from_zero_starts_every_task_of_the_primary() -> None:
    assert plan(service(deployments=(rolling(),), desired=3)) == [StartTask(NEW)] * 3


def test_a_steady_service_needs_nothing() -> None:
    assert plan(service(task("a"), task("b"))) == []


def test_scale_down_stops_the_newest_tasks_beyond_desired() -> None:
    actions = plan(service(task("a"), task("b"), task("c"), desired=1))
    assert actions == [
        StopTask("task/b", scaling_reason(NEW)),
        StopTask("task/c", scaling_reason(NEW)),
    ]


def test_desired_count_zero_stops_every_task_and_completes_the_deployment() -> None:
    actions = plan(service(task("a"), task("b"), deployments=(rolling(),), desired=0))
    assert of(StopTask, actions) == [
        StopTask("task/a", scaling_reason(NEW)),
        StopTask("task/b", scaling_reason(NEW)),
    ]
    assert of(StartTask, actions) == []
    assert of(MarkDeployment, actions) == [
        MarkDeployment(NEW, COMPLETED, f"ECS deployment {NEW} completed.")
    ]


def test_desired_count_zero_without_tasks_needs_nothing() -> None:
    assert plan(service(desired=0)) == []


# -- replacing tasks -------------------------------------------------------------------------------


def test_a_crashed_task_is_recorded_and_replaced_in_the_same_pass() -> None:
    crashed = task("a", TaskState.EXITED, exit_code=137, ever_healthy=True)
    assert plan(service(crashed, task("b"))) == [
        RecordStopped("task/a", ESSENTIAL_EXITED, "EssentialContainerExited", 137),
        StartTask(NEW),
    ]


def test_a_task_that_crashes_before_it_was_healthy_counts_and_holds_launches_for_a_while() -> None:
    crashed = task("a", TaskState.EXITED, exit_code=2)
    assert plan(service(crashed, task("b"))) == [
        RecordStopped("task/a", ESSENTIAL_EXITED, "EssentialContainerExited", 2),
        CountFailure(NEW),
        HoldStarts(NOW + CRASH_BACKOFF),
    ]
    held = service(task("b"), starts_held_until=NOW + CRASH_BACKOFF)
    assert of(StartTask, plan(held)) == []
    assert of(StartTask, plan(replace(held, now=NOW + CRASH_BACKOFF))) == [StartTask(NEW)]


def test_a_task_that_never_started_is_recorded_with_its_reason_and_counts() -> None:
    error = "ResourceInitializationError: failed to validate logger args: ..."
    actions = plan(service(task("a", TaskState.EXITED, start_error=error), task("b")))
    assert actions[:2] == [
        RecordStopped("task/a", error, "TaskFailedToStart", None),
        CountFailure(NEW),
    ]


def test_stop_task_is_carried_out_and_the_task_replaced() -> None:
    assert plan(service(task("a", stop_requested=True), task("b"))) == [
        StopTask("task/a", USER_STOPPED),
        StartTask(NEW),
    ]


@pytest.mark.parametrize("was_healthy", [True, False])
def test_a_task_failing_health_checks_is_stopped_and_replaced(was_healthy: bool) -> None:
    failing = task("a", TaskState.FAILING, failing_group=GROUP, ever_healthy=was_healthy)
    actions = plan(service(failing, task("b")))
    reason = f"Task failed ELB health checks in (target-group {GROUP})"
    assert of(StopTask, actions) == [StopTask("task/a", reason)]
    assert of(CountFailure, actions) == ([] if was_healthy else [CountFailure(NEW)])
    # A failure holds launches back for a while.
    assert of(StartTask, actions) == ([StartTask(NEW)] if was_healthy else [])


def test_tasks_being_stopped_are_left_alone_and_not_counted() -> None:
    actions = plan(service(task("a", TaskState.STOPPING, stop_requested=True), task("b")))
    assert actions == [StartTask(NEW)]


@pytest.mark.parametrize(
    ("listening", "waited", "registers"),
    [(True, 0.5, True), (False, 5.0, False), (False, 10.5, True)],
)
def test_a_starting_task_registers_once_it_listens_or_after_the_deadline(
    listening: bool, waited: float, registers: bool
) -> None:
    starting = task("a", TaskState.STARTING, listening=listening, started=NOW - waited)
    expected = [RegisterTask("task/a")] if registers else []
    assert of(RegisterTask, plan(service(starting, task("b")))) == expected


# -- rolling deployments ---------------------------------------------------------------------------


def update(*tasks: TaskView, policy: DeploymentPolicy = DEFAULTS) -> ServiceView:
    """A service whose PRIMARY deployment NEW replaces the COMPLETED deployment OLD."""
    return service(*tasks, deployments=(rolling(), steady(OLD)), policy=policy, last_completed=GOOD)


def old(name: str, state: TaskState = TaskState.HEALTHY) -> TaskView:
    return task(name, state, deployment=OLD)


def test_a_rolling_update_starts_new_tasks_first_within_maximum_percent() -> None:
    assert plan(update(old("a"), old("b"))) == [StartTask(NEW)] * 2  # 200%: two more may run


def test_a_rolling_update_keeps_old_tasks_while_the_new_are_not_healthy() -> None:
    new = [task("c", TaskState.REGISTERED), task("d", TaskState.STARTING)]
    assert plan(update(old("a"), old("b"), *new)) == []


def test_a_rolling_update_stops_old_tasks_as_new_ones_become_healthy() -> None:
    actions = plan(update(old("a"), old("b"), task("c"), task("d", TaskState.REGISTERED)))
    assert actions == [StopTask("task/a", scaling_reason(NEW))]  # 3 healthy, 2 must stay


def test_a_rolling_update_completes_once_only_new_healthy_tasks_remain() -> None:
    actions = plan(update(old("a"), old("b"), task("c"), task("d")))
    assert actions == [
        StopTask("task/a", scaling_reason(NEW)),
        StopTask("task/b", scaling_reason(NEW)),
        DropDeployment(OLD),
        MarkDeployment(NEW, COMPLETED, f"ECS deployment {NEW} completed."),
        Event("(service svc) has reached a steady state."),
    ]


def test_old_tasks_that_are_not_healthy_stop_at_once() -> None:
    actions = plan(update(old("a"), old("b", TaskState.STARTING)))
    assert of(StopTask, actions) == [StopTask("task/b", scaling_reason(NEW))]


def test_maximum_100_minimum_50_stops_an_old_task_before_starting_a_new_one() -> None:
    policy = DeploymentPolicy(maximum_percent=100, minimum_healthy_percent=50)
    first = plan(update(old("a"), old("b"), policy=policy))
    assert first == [StopTask("task/a", scaling_reason(NEW))]
    assert plan(update(old("b"), policy=policy)) == [StartTask(NEW)]


def test_maximum_150_starts_one_new_task_at_a_time() -> None:
    policy = DeploymentPolicy(maximum_percent=150)
    assert plan(update(old("a"), old("b"), policy=policy)) == [StartTask(NEW)]


def test_minimum_75_percent_of_two_rounds_up_so_nothing_old_stops_first() -> None:
    policy = DeploymentPolicy(maximum_percent=100, minimum_healthy_percent=75)
    assert plan(update(old("a"), old("b"), policy=policy)) == []  # stalls, as on AWS


# -- the deployment circuit breaker ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "threshold"), [(0, 3), (2, 3), (6, 3), (7, 4), (10, 5), (1000, 200)]
)
def test_the_breaker_threshold_is_half_the_desired_count_within_3_and_200(
    desired: int, threshold: int
) -> None:
    assert breaker_threshold(desired) == threshold


def broken_rollout(failed: int, policy: DeploymentPolicy = BREAKER, **fields: Any) -> ServiceView:
    """Desired 2 of BROKEN replacing GOOD; one more BROKEN task has just crashed."""
    fields.setdefault("last_completed", GOOD)
    return service(
        old("a"),
        old("b"),
        task("c", TaskState.EXITED, exit_code=2),
        deployments=(rolling(failed=failed), steady(OLD, GOOD)),
        policy=policy,
        **fields,
    )


def test_the_breaker_fails_the_deployment_at_the_threshold_and_rolls_back() -> None:
    actions = plan(broken_rollout(failed=2))
    assert actions[-4:] == [
        MarkDeployment(NEW, FAILED, CIRCUIT_BREAKER_REASON),
        Event(f"(service svc) (deployment {NEW}) deployment failed: tasks failed to start."),
        RollBack(GOOD),
        Event(f"(service svc) rolling back to {GOOD}."),
    ]
    assert of(StopTask, actions) == []  # the old tasks keep serving


def test_the_breaker_waits_below_the_threshold() -> None:
    assert of(MarkDeployment, plan(broken_rollout(failed=1))) == []


def test_a_disabled_breaker_never_fails_a_deployment() -> None:
    assert of(MarkDeployment, plan(broken_rollout(failed=50, policy=DEFAULTS))) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"policy": DeploymentPolicy(circuit_breaker=True)},
        {"last_completed": None},
        {"last_completed": BROKEN},
    ],
    ids=["rollback-off", "nothing-completed", "same-definition"],
)
def test_the_breaker_fails_without_rolling_back(fields: dict[str, Any]) -> None:
    actions = plan(broken_rollout(failed=2, **fields))
    assert of(MarkDeployment, actions) == [MarkDeployment(NEW, FAILED, CIRCUIT_BREAKER_REASON)]
    assert of(RollBack, actions) == []


def test_a_failed_deployment_launches_nothing_more() -> None:
    failed = DeploymentView(NEW, BROKEN, FAILED, 3)
    assert plan(service(old("a"), deployments=(failed, steady(OLD)))) == []


# -- deployments and deleted services --------------------------------------------------------------


def test_a_deployment_completes_when_desired_tasks_are_healthy() -> None:
    assert plan(service(task("a"), task("b"), deployments=(rolling(),))) == [
        MarkDeployment(NEW, COMPLETED, f"ECS deployment {NEW} completed."),
        Event("(service svc) has reached a steady state."),
    ]


def test_a_deployment_is_not_complete_while_a_task_is_only_registered() -> None:
    assert plan(service(task("a"), task("b", TaskState.REGISTERED), deployments=(rolling(),))) == []


def test_a_deleted_service_stops_its_tasks_and_starts_nothing() -> None:
    crashed = task("c", TaskState.EXITED, exit_code=1, ever_healthy=True)
    actions = plan(service(task("a"), task("b", TaskState.STOPPING), crashed, active=False))
    assert actions == [
        RecordStopped("task/c", ESSENTIAL_EXITED, "EssentialContainerExited", 1),
        StopTask("task/a", SERVICE_DELETED),
    ]


def test_tasks_of_an_earlier_service_with_the_same_name_are_stopped() -> None:
    actions = plan(service(task("a"), task("b"), task("z", deployment="ecs-svc/gone")))
    assert actions == [StopTask("task/z", SERVICE_DELETED)]


def test_a_new_deployment_follows_a_new_task_definition_or_a_forced_one() -> None:
    current = [steady(NEW, GOOD)]
    assert new_deployment([], GOOD, "ecs-svc/first") == NewDeployment(GOOD, "ecs-svc/first")
    assert new_deployment(current, GOOD, NEW) is None
    assert new_deployment(current, BROKEN, NEW) == NewDeployment(BROKEN, None)
    assert new_deployment(current, GOOD, "ecs-svc/forced") == NewDeployment(GOOD, "ecs-svc/forced")


def test_the_deployment_configuration_has_the_aws_defaults() -> None:
    assert DeploymentPolicy.from_configuration({}) == DeploymentPolicy(200, 100, False, False)
    parsed = DeploymentPolicy.from_configuration(
        {
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        }
    )
    assert parsed == DeploymentPolicy(150, 50, True, True)
    assert (parsed.ceiling(3), parsed.floor(3)) == (4, 2)  # maximum rounds down, minimum up
    assert DeploymentPolicy(maximum_percent=50).ceiling(2) == 2  # never below the desired count


# -- many passes: the planner driving a pretend service -------------------------------------------


@dataclass
class _Task:
    deployment: str
    definition: str
    state: TaskState = TaskState.STARTING


@dataclass
class World:
    """Carries the planner's actions out on plain data, as the scheduler does on moto and processes.

    Each pass a starting task listens (or, if its definition is broken, exits), a registered task
    turns healthy, and a stopping task is gone.
    """

    definition: str
    policy: DeploymentPolicy = BREAKER
    desired: int = 2
    broken: set[str] = field(default_factory=set)
    now: float = 0.0
    held_until: float = 0.0
    deployments: list[DeploymentView] = field(default_factory=list)
    last_completed: str | None = None
    tasks: dict[str, _Task] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    started: int = 0

    def run(self, passes: int) -> None:
        for _ in range(passes):
            self.now += 0.25
            self._follow()
            self._advance()
            for action in plan(self._view()):
                self._apply(action)
            self._check()

    def live(self, state: TaskState | None = None) -> list[_Task]:
        return [
            t
            for t in self.tasks.values()
            if t.state is not TaskState.STOPPING and (state is None or t.state is state)
        ]

    def _follow(self) -> None:
        new = new_deployment(self.deployments, self.definition, None)
        if new is not None:
            self.deployments.insert(0, DeploymentView(f"ecs-svc/{self.now}", new.task_definition))
            self.held_until = 0.0

    def _advance(self) -> None:
        for arn, t in list(self.tasks.items()):
            if t.state is TaskState.STOPPING:
                del self.tasks[arn]
            elif t.state is TaskState.STARTING and t.definition in self.broken:
                t.state = TaskState.EXITED
            elif t.state is TaskState.REGISTERED:
                t.state = TaskState.HEALTHY

    def _view(self) -> ServiceView:
        views = tuple(
            TaskView(
                arn,
                t.deployment,
                t.state,
                started=self.now,
                listening=True,
                ever_healthy=t.state is TaskState.HEALTHY,
            )
            for arn, t in self.tasks.items()
        )
        return ServiceView(
            "svc",
            tuple(self.deployments),
            views,
            self.desired,
            policy=self.policy,
            last_completed=self.last_completed,
            now=self.now,
            starts_held_until=self.held_until,
        )

    def _deployment(self, deployment_id: str, **changes: Any) -> None:
        self.deployments = [
            replace(d, **changes) if d.id == deployment_id else d for d in self.deployments
        ]

    def _apply(self, action: Action) -> None:  # noqa: C901 - one arm per action
        if isinstance(action, StartTask):
            self.started += 1
            definition = next(
                d.task_definition for d in self.deployments if d.id == action.deployment
            )
            self.tasks[f"task/{self.started}"] = _Task(action.deployment, definition)
        elif isinstance(action, RegisterTask):
            self.tasks[action.task].state = TaskState.REGISTERED
        elif isinstance(action, StopTask):
            self.tasks[action.task].state = TaskState.STOPPING
        elif isinstance(action, RecordStopped):
            del self.tasks[action.task]
        elif isinstance(action, CountFailure):
            failed = next(d.failed_tasks for d in self.deployments if d.id == action.deployment)
            self._deployment(action.deployment, failed_tasks=failed + 1)
        elif isinstance(action, HoldStarts):
            self.held_until = action.until
        elif isinstance(action, MarkDeployment):
            self._deployment(action.deployment, rollout_state=action.rollout_state)
            if action.rollout_state == COMPLETED:
                self.last_completed = self.deployments[0].task_definition
        elif isinstance(action, DropDeployment):
            self.deployments = [d for d in self.deployments if d.id != action.deployment]
        elif isinstance(action, RollBack):
            self.definition = action.to
        elif isinstance(action, Event):
            self.events.append(action.message)

    def _check(self) -> None:
        assert len(self.live()) <= self.policy.ceiling(self.desired)


def test_passes_bring_a_new_service_to_a_completed_deployment() -> None:
    world = World(GOOD)
    world.run(4)
    assert [(d.task_definition, d.rollout_state) for d in world.deployments] == [(GOOD, COMPLETED)]
    assert len(world.live(TaskState.HEALTHY)) == 2 and world.started == 2


def test_passes_roll_a_new_definition_out_without_dropping_below_minimum_healthy() -> None:
    world = World(GOOD)
    world.run(4)
    world.definition = BROKEN  # only a name here: it starts fine
    healthy_counts = []
    for _ in range(8):
        world.run(1)
        healthy_counts.append(len(world.live(TaskState.HEALTHY)))
    assert min(healthy_counts) >= 2
    assert [(d.task_definition, d.rollout_state) for d in world.deployments] == [
        (BROKEN, COMPLETED)
    ]
    assert {t.definition for t in world.live()} == {BROKEN} and world.started == 4


def test_passes_trip_the_breaker_on_a_crash_loop_and_roll_back_to_the_last_completed() -> None:
    world = World(GOOD, broken={BROKEN})
    world.run(4)
    world.definition = BROKEN
    world.run(40)  # 10 s of pretend time: crash, back off 1 s, crash ...
    assert world.definition == GOOD
    assert [(d.task_definition, d.rollout_state) for d in world.deployments] == [(GOOD, COMPLETED)]
    assert {t.definition for t in world.live()} == {GOOD}
    assert len(world.live(TaskState.HEALTHY)) == 2
    assert f"(service svc) rolling back to {GOOD}." in world.events
    assert any("deployment failed: tasks failed to start." in e for e in world.events)
