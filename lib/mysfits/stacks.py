"""CloudFormation stacks as every module uses them: find one, wait for it with its events
streamed, say why it failed, delete it."""

from __future__ import annotations

from typing import Any

from .errors import WorkshopError
from .idioms import Answer, absent_is_none
from .stackevents import StackEvents
from .waiting import wait_until
from .workshop import Workshop

IN_PROGRESS = "_IN_PROGRESS"
# CloudFormation answers ValidationError for many things; its message tells these two apart.
STACK_MISSING = Answer("ValidationError", "does not exist")
NO_UPDATES = Answer("ValidationError", "No updates are to be performed")
# States from which a stack can only be deleted.
DEAD_ENDS = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"})


class StackFailed(WorkshopError):
    """A stack operation ended in a failed state; the message carries CloudFormation's reasons."""


def describe(ws: Workshop, name: str) -> dict | None:
    """The stack as DescribeStacks shows it, or None when there is none."""
    cloudformation = ws.client("cloudformation")
    stacks = absent_is_none(
        lambda: cloudformation.describe_stacks(StackName=name)["Stacks"], STACK_MISSING
    )
    return stacks[0] if stacks else None


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    """A described stack's outputs, key -> value."""
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def settle(
    ws: Workshop, name: str, what: str, events: StackEvents | None = None, timeout: float = 1800
) -> dict | None:
    """Wait until the stack leaves every *_IN_PROGRESS state; return it (None once deleted).

    `events`, made before the operation started, streams what CloudFormation does meanwhile.
    """
    events = events if events is not None else StackEvents(ws, name)

    def settled() -> dict[str, Any] | None:
        events.poll()  # each new event is written as it arrives
        stack = describe(ws, name)
        if stack is None:
            return {"StackStatus": "DELETE_COMPLETE"}
        return None if stack["StackStatus"].endswith(IN_PROGRESS) else stack

    stack: dict[str, Any] = wait_until(
        settled,
        what=what,
        timeout=timeout,
        interval=2,
        progress=events.progress,
        hint=(
            f"See the stack's events: aws cloudformation describe-stack-events --stack-name {name}"
        ),
    )
    return None if stack.get("StackStatus") == "DELETE_COMPLETE" else stack


def failure_reasons(ws: Workshop, name: str) -> str:
    """The stack's reason and its failed resources' reasons, newest first (at most five)."""
    events = ws.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}"
        for e in events
        if e["ResourceStatus"].endswith("FAILED") and e.get("ResourceStatusReason")
    ]
    stack = describe(ws, name)
    if stack is not None and stack.get("StackStatusReason"):
        reasons.insert(0, stack["StackStatusReason"])
    return "; ".join(reasons[:5]) or "no reason recorded"


def succeeded(stack: dict | None) -> bool:
    """Whether a settled stack completed its operation (a rollback is a failure)."""
    status = stack["StackStatus"] if stack is not None else ""
    return status.endswith("_COMPLETE") and "ROLLBACK" not in status


def settled_stack(ws: Workshop, name: str) -> dict | None:
    """The stack once no operation runs on it (None if there is none); StackFailed when stuck."""
    stack = describe(ws, name)
    if stack is not None and stack["StackStatus"].endswith(IN_PROGRESS):
        stack = settle(ws, name, f"stack {name} to finish its current operation")
    if stack is not None and stack["StackStatus"] in DEAD_ENDS:
        raise StackFailed(
            f"stack {name} is {stack['StackStatus']} and cannot be updated: "
            "delete it (99_cleanup.ipynb or `mysfits cleanup`) and run this step "
            "again"
        )
    return stack


def delete_stack(ws: Workshop, name: str) -> bool:
    """Delete stack `name` and wait; False if there was none; StackFailed if it cannot go."""
    if describe(ws, name) is None:
        return False
    events = StackEvents(ws, name)
    ws.client("cloudformation").delete_stack(StackName=name)
    stack = settle(ws, name, f"stack {name} to be deleted", events)
    if stack is not None:
        raise StackFailed(
            f"stack {name} could not be deleted ({stack['StackStatus']}): "
            f"{failure_reasons(ws, name)}"
        )
    return True
