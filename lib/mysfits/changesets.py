"""Deploying a template through a change set, as `sam deploy` does: make it, show it, run it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import stacks
from .errors import ResourceNotFound
from .stackevents import StackEvents
from .waiting import wait_until
from .workshop import Workshop

# What CloudFormation says when a change set would change nothing.
NO_CHANGES = "didn't contain changes"
_PENDING = ("CREATE_PENDING", "CREATE_IN_PROGRESS")
COLUMNS = ["action", "logical id", "type", "replacement", "physical id"]


@dataclass(frozen=True)
class ChangeSetPlan:
    """A change set CloudFormation has worked out: what running it would do."""

    stack_name: str
    change_set_id: str
    kind: str  # CREATE (a new stack) or UPDATE
    changes: tuple[dict[str, Any], ...]  # DescribeChangeSet's ResourceChange entries
    status_reason: str = ""

    @property
    def empty(self) -> bool:
        """True when the change set would change nothing (it has been deleted)."""
        return not self.changes

    def table(self) -> pd.DataFrame:
        """One row per change: action, logical id, type, replacement, physical id."""
        rows = [
            [
                c.get("Action", ""),
                c.get("LogicalResourceId", ""),
                c.get("ResourceType", ""),
                c.get("Replacement", ""),
                c.get("PhysicalResourceId", ""),
            ]
            for c in self.changes
        ]
        return pd.DataFrame(rows, columns=COLUMNS)

    def _repr_html_(self) -> str:
        title = f"<p>{self.kind.lower()} stack <code>{self.stack_name}</code>: "
        if self.empty:
            return title + "no changes</p>"
        return title + f"{len(self.changes)} change(s)</p>" + self.table().to_html(index=False)


def plan(
    ws: Workshop,
    stack_name: str,
    body: str,
    parameters: dict[str, str],
    capabilities: tuple[str, ...] = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"),
) -> ChangeSetPlan:
    """Create a change set for `stack_name` (CREATE or UPDATE as the stack exists) and wait for it.

    A change set that would change nothing is deleted and returned empty; one CloudFormation
    refuses raises StackFailed with its reason.
    """
    existing = stacks.settled_stack(ws, stack_name)
    kind = "UPDATE" if existing and existing["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
    cloudformation = ws.client("cloudformation")
    created = cloudformation.create_change_set(
        StackName=stack_name,
        ChangeSetName=f"deploy-{uuid.uuid4().hex[:12]}",
        ChangeSetType=kind,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=list(capabilities),
        Tags=ws.tag_list(),
    )
    described = _worked_out(ws, created["Id"])
    reason = described.get("StatusReason") or ""
    if described["Status"] == "FAILED":
        if NO_CHANGES not in reason:
            raise stacks.StackFailed(f"change set for stack {stack_name} failed: {reason}")
        cloudformation.delete_change_set(ChangeSetName=created["Id"])
        return ChangeSetPlan(stack_name, created["Id"], kind, (), reason)
    changes = tuple(c["ResourceChange"] for c in described.get("Changes", []))
    return ChangeSetPlan(stack_name, created["Id"], kind, changes, reason)


def _worked_out(ws: Workshop, change_set_id: str) -> dict[str, Any]:
    cloudformation = ws.client("cloudformation")

    def done() -> dict[str, Any] | None:
        described = cloudformation.describe_change_set(ChangeSetName=change_set_id)
        return None if described["Status"] in _PENDING else described

    return wait_until(done, what="the change set", timeout=300, interval=1)


def execute(ws: Workshop, planned: ChangeSetPlan, timeout: float = 1800) -> dict[str, Any]:
    """Run the change set, streaming the stack's events; the stack once it completed.

    A stack that rolls back raises StackFailed with CloudFormation's reasons.
    """
    name = planned.stack_name
    if planned.empty:
        stack = stacks.describe(ws, name)  # an empty plan is of a stack that exists
        if stack is None:
            raise ResourceNotFound(f"stack {name} is gone: plan its deployment again")
        return stack
    events = StackEvents(ws, name)  # before running it, so that none of its events is missed
    ws.client("cloudformation").execute_change_set(ChangeSetName=planned.change_set_id)
    stack = stacks.settle(ws, name, f"stack {name}", events, timeout)
    if stack is None or not stacks.succeeded(stack):
        raise stacks.StackFailed(f"stack {name} failed: {stacks.failure_reasons(ws, name)}")
    return stack
