"""Parameter rules: each broken rule is named, all of them at once, before anything runs."""

from __future__ import annotations

import pytest

from mysfits import parameters
from mysfits.parameters import InvalidParameters

GOOD = {
    "target": "local",
    "region": "eu-west-1",
    "prefix": "mysfits",
    "interactive": False,
    "bucket_name": "",
    "desired_count": 2,
    "nat_gateways": 1,
}


def test_good_values_pass() -> None:
    assert parameters.problems(GOOD, "02_fargate_service.ipynb") == []
    parameters.validate("02_fargate_service.ipynb", **GOOD)


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("desired_count", 0, "from 1 to 10"),
        ("desired_count", 11, "from 1 to 10"),
        ("desired_count", "two", "from 1 to 10"),
        ("desired_count", True, "from 1 to 10"),
        ("desired_count", 2.5, "from 1 to 10"),
        ("nat_gateways", 3, "from 1 to 2"),
        ("region", "mars-1", "commercial regions"),
        ("region", "cn-north-1", "commercial regions"),
        ("region", "aws-global", "commercial regions"),
        ("target", "azure", "'local' or 'aws'"),
        ("prefix", "My_Prefix", "lowercase letters"),
        ("prefix", "ab", "3 to 20"),
        ("interactive", "yes", "true or false"),
        ("bucket_name", "Not_Valid", "lowercase"),
    ],
)
def test_each_broken_rule_is_stated(name: str, value: object, rule: str) -> None:
    with pytest.raises(InvalidParameters) as caught:
        parameters.validate(**{**GOOD, name: value})
    assert f"{name}={value!r}" in str(caught.value) and rule in str(caught.value)


def test_every_broken_rule_in_one_error() -> None:
    found = parameters.problems({**GOOD, "desired_count": 0, "region": "nowhere", "prefix": "X"})
    assert [p.split("=")[0] for p in found] == ["region", "prefix", "desired_count"]


def test_notebook_02_needs_two_tasks_for_its_experiment() -> None:
    assert parameters.problems({"desired_count": 1}, "03_dynamodb.ipynb") == []
    (problem,) = parameters.problems({"desired_count": 1}, "02_fargate_service.ipynb")
    assert "from 2 to 10" in problem and "stops one" in problem


def test_parameters_without_a_rule_are_not_judged() -> None:
    assert parameters.problems({"dry_run": "maybe", "whatever": object()}) == []


def test_commercial_regions_come_from_botocore() -> None:
    regions = parameters.commercial_regions()
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= regions
    assert not regions & {"cn-north-1", "us-gov-west-1", "aws-global"}


def test_require_count_returns_the_value_or_states_the_range() -> None:
    assert parameters.require_count("desired_count", 3) == 3
    with pytest.raises(InvalidParameters, match="desired_count=0: use a whole number from 1 to 10"):
        parameters.require_count("desired_count", 0)


def test_notebook_parameters_reads_names_and_literal_defaults() -> None:
    source = 'target = "local"  # where\nregion = "us-east-1"\ncount = 2\nx = compute()\n'
    assert parameters.notebook_parameters(source) == {
        "target": "local",
        "region": "us-east-1",
        "count": 2,
        "x": None,
    }
