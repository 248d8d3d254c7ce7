"""The AWS::Serverless-2016-10-31 transform (SAM), applied by CloudFormation itself.

AWS behaviour restored: a template that declares `Transform: AWS::Serverless-2016-10-31` (alone or
in a list) is expanded before anything is created. CreateChangeSet (CREATE or UPDATE) takes it as
it is; CreateStack and UpdateStack need CAPABILITY_AUTO_EXPAND ("Requires capabilities :
[CAPABILITY_AUTO_EXPAND]", InsufficientCapabilitiesException). GetTemplate gives the template as
it was sent (TemplateStage Original, the default) or as expanded (Processed), for a stack or a
change set, with StagesAvailable [Original, Processed]. A template the transform refuses fails the
call: "Transform AWS::Serverless-2016-10-31 failed with: <the reasons>". moto 5.2.5 ignores the
Transform, so every AWS::Serverless::* resource was an unknown type it skipped.
The expansion is aws-sam-translator's, the library AWS's own transform is built on (pinned in
pyproject.toml), with the stack's region, partition and parameter values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

SAM = "AWS::Serverless-2016-10-31"
CAPABILITY = "CAPABILITY_AUTO_EXPAND"
# Where a stack or change set keeps the template as it was sent (it lives and dies with it).
ORIGINAL = "_mysfits_original_template"


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"

    def __init__(self) -> None:
        super().__init__(f"Requires capabilities : [{CAPABILITY}]")


def declares_sam(template: Any) -> bool:
    """Whether a template (text or parsed) declares the SAM transform."""
    parsed = Stack.parse_template(template) if isinstance(template, str) else template
    if not isinstance(parsed, dict):
        return False
    declared = parsed.get("Transform")
    return declared == SAM or (isinstance(declared, list) and SAM in declared)


def expand(template: str, parameters: dict[str, Any], account_id: str, region: str) -> str:
    """The template with the SAM transform applied, as JSON text; ValidationError if refused."""
    sam = Stack.parse_template(template)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))

    def managed_policies() -> dict[str, str]:
        iam = iam_backends[account_id][get_partition(region)]
        return {policy.name: policy.arn for policy in iam.managed_policies.values()}

    try:
        processed = translator.translate(
            sam, parameter_values=dict(parameters), get_managed_policy_map=managed_policies
        )
    except InvalidDocumentException as refused:
        reasons = " ".join(cause.message for cause in refused.causes)
        raise ValidationError(
            message=f"Transform {SAM} failed with: {refused.message} {reasons}"
        ) from refused
    return json.dumps(processed, indent=2)


def _values(parameters: Any) -> dict[str, Any]:
    """Parameter values from a dict, or from UpdateStack's list of ParameterKey/Value pairs."""
    if isinstance(parameters, dict):
        return parameters
    return {
        p["ParameterKey"]: p["ParameterValue"] for p in parameters or [] if "ParameterValue" in p
    }


def expanding(original: Callable[..., Any], template_argument: str) -> Callable[..., Any]:
    """Wrap a backend method so that a SAM template is expanded before `original` sees it.

    The object `original` returns (a stack, or a change set id and stack id) keeps the template
    as it was sent.
    """

    def method(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> Any:
        template = kwargs.get(template_argument)
        if not (isinstance(template, str) and declares_sam(template)):
            return original(self, *args, **kwargs)
        values = _values(kwargs.get("parameters"))
        kwargs[template_argument] = expand(template, values, self.account_id, self.region_name)
        result = original(self, *args, **kwargs)
        _keep_original(self, result, template)
        return result

    return method


def _keep_original(backend: CloudFormationBackend, result: Any, template: str) -> None:
    if isinstance(result, Stack):
        setattr(result, ORIGINAL, template)
    elif isinstance(result, tuple):  # create_change_set: (change set id, stack id)
        setattr(backend.change_sets[result[0]], ORIGINAL, template)


def requiring_capability(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap CreateStack or UpdateStack: a SAM template needs CAPABILITY_AUTO_EXPAND."""

    def action(self: CloudFormationResponse) -> Any:
        template = self._get_param("TemplateBody")
        if not template and self._get_param("TemplateURL"):
            template = self._get_stack_from_s3_url(self._get_param("TemplateURL"))
        capabilities = self._get_param("Capabilities") or []
        if template and declares_sam(template) and CAPABILITY not in capabilities:
            raise InsufficientCapabilities()
        return original(self)

    return action


def get_template(self: CloudFormationResponse) -> ActionResult | TYPE_RESPONSE:
    """GetTemplate with TemplateStage (Original or Processed), for a stack or a change set."""
    backend = self.cloudformation_backend
    change_set_name = self._get_param("ChangeSetName")
    if change_set_name:
        held: Any = backend.describe_change_set(change_set_name)
    else:
        held = backend.get_stack(self._get_param("StackName"))
    processed = held.template
    stage = self._get_param("TemplateStage") or "Original"
    body = (getattr(held, ORIGINAL, None) or processed) if stage == "Original" else processed
    return ActionResult({"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]})
