"""What one pipeline action works with: its step record, artifacts, and how it can end.

Shared by the execution (`execution.py`) and the action types it runs (`actions.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .execution import Run

SOURCE, BUILD, DEPLOY = (
    ("Source", "AWS", "S3", "1"),
    ("Build", "AWS", "CodeBuild", "1"),
    ("Deploy", "AWS", "ECS", "1"),
)
Outcome = tuple[
    dict[str, Any] | None, dict[str, str]
]  # (revision for GetPipelineState, output variables)


class ActionFailed(Exception):
    """The action failed; the message goes into its errorDetails."""


class Abandoned(Exception):
    """The execution was stopped with abandon, its pipeline deleted, or the local cloud stopped."""


@dataclass(frozen=True)
class Artifact:
    """This execution's artifact in the artifact store, and the source revision it derives from."""

    bucket: str
    key: str
    revision: str


def type_of(action: dict[str, Any]) -> tuple[str, str, str, str]:
    kind = action["actionTypeId"]
    return kind["category"], kind["owner"], kind["provider"], str(kind["version"])


def polls(action: dict[str, Any]) -> bool:
    """An S3 source action polls unless PollForSourceChanges is "false" (AWS polls by default)."""
    configuration = action.get("configuration") or {}
    return (
        type_of(action) == SOURCE
        and str(configuration.get("PollForSourceChanges", "true")).lower() != "false"
    )


@dataclass
class Step:
    """One action execution: what GetPipelineState shows for it while it runs."""

    run: Run
    stage: str
    action: dict[str, Any]
    configuration: dict[str, str]
    latest: dict[str, Any] = field(default_factory=dict)

    def update(self, revision: dict[str, Any] | None = None, **fields: Any) -> None:
        self.latest.update(fields)
        self.run.book.set_action(
            self.run.pipeline, self.stage, self.action["name"], dict(self.latest), revision
        )
