"""The prerequisite error names what is missing and the notebook to run first."""

from __future__ import annotations

import boto3
import pytest

from mysfits import prerequisites
from mysfits.prerequisites import PrerequisiteMissing
from mysfits.workshop import Workshop


@pytest.fixture
def ws(monkeypatch: pytest.MonkeyPatch) -> Workshop:
    session = boto3.Session(
        region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    found = {"01": [], "02": ["the core stack demo-core", "the ECS service demo-service"]}
    monkeypatch.setattr(prerequisites, "_FINDERS", {m: lambda ws, m=m: found[m] for m in found})
    return Workshop("aws", "eu-west-1", "demo", session, "123456789012")


def test_nothing_missing_passes(ws: Workshop) -> None:
    prerequisites.require_modules(ws, "01")


def test_missing_names_the_notebook_to_run_first(ws: Workshop) -> None:
    with pytest.raises(PrerequisiteMissing) as caught:
        prerequisites.require_modules(ws, "01", "02")
    message = str(caught.value)
    assert "for prefix 'demo' in eu-west-1" in message
    assert (
        "02_fargate_service.ipynb builds the core stack demo-core, the ECS service demo-service"
    ) in message
    assert "run 02_fargate_service.ipynb first" in message and "01_static" not in message


def test_unknown_module_lists_the_known_ones(ws: Workshop) -> None:
    with pytest.raises(ValueError, match="use one of 01, 02"):
        prerequisites.require_modules(ws, "07")
