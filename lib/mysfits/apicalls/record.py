"""One recorded AWS API call and the documents it sent, as plain JSON-safe values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A document a call sent (policy, task definition, template…), as a file for the CLI."""

    filename: str  # what the equivalent CLI command refers to: file://<filename>
    title: str
    content: str
    language: str = "json"  # json | yaml

    def as_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ApiCall:
    """What one call asked for (secrets redacted) and how it went."""

    service: str  # boto3's name: s3, elbv2, ecs…
    operation: str  # AWS's PascalCase name: PutBucketPolicy
    params: dict[str, Any]
    status: int | None  # HTTP status; None when no response arrived
    error: str  # the AWS error code, or the exception's name; "" when it succeeded
    started: str  # ISO 8601, UTC
    milliseconds: float
    region: str
    signed: bool = True  # False: an anonymous (unsigned) request, as a visitor makes
    cli: str = ""
    documents: tuple[Document, ...] = field(default_factory=tuple)
    files: dict[str, str] = field(default_factory=dict)  # parameter → the document's file name

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def name(self) -> str:
        """`s3:PutBucketPolicy`."""
        return f"{self.service}:{self.operation}"

    @property
    def outcome(self) -> str:
        """`200`, or `404 NoSuchBucket`, or the exception when no response came back."""
        status = "" if self.status is None else str(self.status)
        error = "" if self.error == status else self.error  # HeadBucket's code is just "404"
        return " ".join(part for part in (status, error) if part)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["documents"] = [d.as_json() for d in self.documents]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApiCall:
        documents = tuple(Document(**d) for d in data.get("documents", []))
        return cls(**{**data, "documents": documents})
