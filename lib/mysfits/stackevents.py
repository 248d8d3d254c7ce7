"""CloudFormation stack events, streamed while an operation runs, and the progress they show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tqdm.auto import tqdm

from .idioms import Answer, absent_is_none
from .waiting import Progress
from .workshop import Workshop

_SETTLED = ("_COMPLETE", "_FAILED", "_SKIPPED")
NO_STACK = Answer(
    "ValidationError", "does not exist"
)  # CloudFormation's answer for a missing stack


def event_line(event: dict[str, Any]) -> str:
    """One event as a log line: time, status, resource (type), and the reason when there is one."""
    when = (
        event["Timestamp"].strftime("%H:%M:%S")
        if hasattr(event["Timestamp"], "strftime")
        else str(event["Timestamp"])
    )
    reason = f"  {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
    return (
        f"{when}  {event['ResourceStatus']:<28} {event['LogicalResourceId']} "
        f"({event['ResourceType']}){reason}"
    )


class StackEvents:
    """The events of one stack since this object was made: each new one written as it arrives."""

    def __init__(self, ws: Workshop, stack_name: str, write: Callable[[str], None] = tqdm.write):
        self._cloudformation, self._name, self._write = (
            ws.client("cloudformation"),
            stack_name,
            write,
        )
        self._seen = {e["EventId"] for e in self._events()}  # earlier operations' events
        self._latest: dict[str, str] = {}  # resource → its latest status in this operation

    def _events(self) -> list[dict[str, Any]]:
        pages = self._cloudformation.get_paginator("describe_stack_events").paginate(
            StackName=self._name
        )
        # A stack not created yet, or deleted, has no events to show.
        events = absent_is_none(
            lambda: [e for page in pages for e in page["StackEvents"]], NO_STACK
        )
        return events or []

    def poll(self) -> list[dict[str, Any]]:
        """Write the events that arrived since the last poll, oldest first; return them."""
        new = [e for e in self._events() if e["EventId"] not in self._seen]
        new.sort(key=lambda e: e["Timestamp"])
        for event in new:
            self._seen.add(event["EventId"])
            if event["LogicalResourceId"] != self._name:
                self._latest[event["LogicalResourceId"]] = event["ResourceStatus"]
            self._write(event_line(event))
        return new

    def progress(self) -> Progress:
        """Resources this operation has settled, of those it has started."""
        done = sum(status.endswith(_SETTLED) for status in self._latest.values())
        return Progress(done, len(self._latest), "resources", f"{len(self._seen)} events")
