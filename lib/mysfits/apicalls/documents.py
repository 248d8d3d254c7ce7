"""The documents a call sends (policies, definitions, templates), pulled out to be shown as files.

Each becomes a `Document` named as the equivalent CLI command refers to it (`file://name`), so
what the notebook shows is enough to redo the call by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .awscli import cli_name, shorthand
from .record import Document
from .template import excerpt

# Calls whose whole request is the document (the CLI takes it with --cli-input-json).
WHOLE_REQUEST: dict[tuple[str, str], tuple[str, str]] = {
    ("ecs", "RegisterTaskDefinition"): ("task-definition.json", "the task definition"),
    ("ecs", "CreateService"): ("service.json", "the service definition"),
    ("dynamodb", "CreateTable"): ("table-definition.json", "the table definition"),
    ("codebuild", "CreateProject"): ("build-project.json", "the build project"),
    ("codebuild", "UpdateProject"): ("build-project.json", "the build project"),
}
# Parameters that are documents, with the file name and title they are shown under.
NAMED: dict[tuple[str, str, str], tuple[str, str]] = {
    ("s3", "PutBucketPolicy", "Policy"): ("bucket-policy.json", "the bucket policy of {Bucket}"),
    ("iam", "CreateRole", "AssumeRolePolicyDocument"): (
        "{RoleName}-trust-policy.json",
        "who may assume role {RoleName} (its trust policy)",
    ),
    ("iam", "PutRolePolicy", "PolicyDocument"): (
        "{RoleName}-{PolicyName}.json",
        "what role {RoleName} may do (policy {PolicyName})",
    ),
    ("cloudformation", "CreateStack", "TemplateBody"): (
        "{StackName}.yml",
        "the template of stack {StackName}",
    ),
    ("cloudformation", "UpdateStack", "TemplateBody"): (
        "{StackName}.yml",
        "the template of stack {StackName}",
    ),
    ("codepipeline", "CreatePipeline", "pipeline"): ("pipeline.json", "the pipeline's structure"),
    ("codepipeline", "UpdatePipeline", "pipeline"): ("pipeline.json", "the pipeline's structure"),
}
_LARGE = 100  # characters of compact JSON above which a structure is shown as a file
_READS = ("Describe", "List", "Get", "Head", "BatchGet")  # their filters stay on the command line
WHOLE = "*"  # the `files` key of a document that is the whole request
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Sent:
    """The documents one call sent and how its CLI command refers to them."""

    documents: tuple[Document, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # parameter → file name
    whole_request: str | None = None  # file name given to --cli-input-json


def _fill(template: str, params: dict[str, Any]) -> str:
    values = {
        k: _UNSAFE.sub("-", str(v)).strip("-") for k, v in params.items() if isinstance(v, str)
    }
    try:
        return template.format(**values)
    except KeyError:
        return template.replace("{", "").replace("}", "")


def as_text(value: Any) -> tuple[str, str]:
    """A document's text and language: JSON pretty-printed, YAML (or anything else) as sent."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value, "yaml"
    return json.dumps(value, indent=2), "json"


def _json_object(value: Any) -> bool:
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


def _is_document(value: Any) -> bool:
    """A JSON document in a string, or a structure too large and nested for one command line."""
    if _json_object(value):
        return True
    return (
        isinstance(value, (dict, list))
        and shorthand(value) is None
        and len(json.dumps(value, separators=(",", ":"))) > _LARGE
    )


def _buildspec(params: dict[str, Any]) -> tuple[Document, ...]:
    spec = (params.get("source") or {}).get("buildspec")
    if not isinstance(spec, str) or "\n" not in spec:  # absent, or a path inside the source
        return ()
    return (Document("buildspec.yml", "the buildspec: what each build runs", spec, "yaml"),)


def _whole_request(service: str, operation: str, params: dict[str, Any]) -> Sent:
    filename, title = WHOLE_REQUEST[(service, operation)]
    content, language = as_text(params)
    document = Document(filename, f"{title} ({operation})", content, language)
    return Sent((document, *_buildspec(params)), {WHOLE: filename}, whole_request=filename)


def extract(service: str, operation: str, params: dict[str, Any]) -> Sent:
    """The documents in a call's (already redacted) parameters."""
    if (service, operation) in WHOLE_REQUEST:
        return _whole_request(service, operation, params)
    documents, files = [], {}
    for name, value in params.items():
        named = NAMED.get((service, operation, name))
        if named is None and (operation.startswith(_READS) or not _is_document(value)):
            continue
        filename, title = named or (f"{cli_name(name)}.json", f"{name}")
        filename, title = _fill(filename, params), _fill(title, params)
        content, language = as_text(value)
        documents.append(Document(filename, f"{title} ({operation})", content, language))
        files[name] = filename
    return Sent((*_template_excerpt(params), *documents), files)


def _template_excerpt(params: dict[str, Any]) -> tuple[Document, ...]:
    body = params.get("TemplateBody")
    said = excerpt(body) if isinstance(body, str) and "StackName" in params else ""
    if not said:
        return ()
    filename = _fill("{StackName}.yml", params)
    return (
        Document(f"{filename} (excerpt)", "what each part of the template is for", said, "text"),
    )
