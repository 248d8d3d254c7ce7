"""Stack events and failure reasons, worded as AWS words them.

AWS behaviour restored: every resource a stack creates, updates or deletes gets its own events
(CREATE_IN_PROGRESS / CREATE_COMPLETE / CREATE_FAILED, UPDATE_…, DELETE_… and DELETE_SKIPPED)
with its logical id, physical id and type; a failed resource's reason carries the service's
message and error code; a resource that is already gone counts as deleted. moto 5.2.5 records
stack-level events only.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from moto.cloudformation.models import Event, Stack


class AwsWordedError(Exception):
    """A failure whose message is already what AWS says: reported as it is."""


def resource_event(
    stack: Stack, lid: str, model: Any, kind: str, status: str, reason: str | None = None
) -> None:
    """Record (and publish to the stack's SNS topics) one event of resource `lid`."""
    try:
        physical_id = model.physical_resource_id
    except Exception:  # not created yet, or a model that cannot name itself
        physical_id = ""
    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=lid,
        physical_resource_id=physical_id,
        resource_type=kind,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(event)


def set_reason(stack: Stack, why: str | None) -> None:
    """Set the StackStatusReason that DescribeStacks shows (None: no reason)."""
    # moto's Stack does not declare it; moto's response serializer reads it when it is there.
    stack.status_reason = why  # type: ignore[attr-defined]


def reason(error: Exception) -> str:
    """The reason an event or the stack gives for `error`: its message and its error code."""
    if isinstance(error, AwsWordedError):
        return str(error)
    if isinstance(error, ClientError):  # a handler's call to a service, worded as AWS words it
        answer, meta = error.response.get("Error", {}), error.response.get("ResponseMetadata", {})
        return (
            f"{answer.get('Message', '')} (Status Code: {meta.get('HTTPStatusCode')}; "
            f"Error Code: {answer.get('Code')}; Request ID: {meta.get('RequestId')})"
        )
    message = getattr(error, "message", None) or str(error)
    code = getattr(error, "error_type", None) or type(error).__name__
    return f"{message} (Error Code: {code})"


def not_found(error: Exception) -> bool:
    """Whether `error` says the resource is already gone (AWS then counts it as deleted)."""
    code = str(getattr(error, "error_type", "") or getattr(error, "code", ""))
    return "NotFound" in code or code.startswith("NoSuch")
