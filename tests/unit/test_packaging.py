"""environment.yml, the Makefile and the service's requirements stay in step with pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONDA_TO_PYPI = {"docker-py": "docker"}


def _split(requirement: str, separator: str) -> tuple[str, str]:
    name, version = requirement.split(separator, 1)
    return re.sub(r"\[.*\]", "", name).strip().lower(), version.strip()


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra
    ]
    assert all("==" in r for r in requirements), "every dependency is pinned with =="
    return dict(_split(r, "==") for r in requirements)


def environment_pins() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins: dict[str, str] = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            pins.update(_split(r, "==") for r in entry["pip"] if "==" in r)
        elif "=" in entry and not entry.startswith(("python", "pip")):
            name, version = _split(entry, "=")
            pins[CONDA_TO_PYPI.get(name, name)] = version
    return pins


def test_environment_yml_lists_the_same_packages_and_versions() -> None:
    assert environment_pins() == pyproject_pins()


def test_environment_yml_installs_the_project() -> None:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(e["pip"] for e in environment["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip_section


def test_service_requirements_match_the_workshop_environment() -> None:
    # Without Docker the local cloud runs the service with the workshop's own interpreter.
    service = dict(
        _split(line, "==")
        for line in (ROOT / "service/requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    pins = pyproject_pins()
    assert service and all(pins.get(name) == version for name, version in service.items()), service


def test_the_supported_pythons_agree() -> None:
    """requires-python, the Makefile's interpreter list, environment.yml and the tools' target."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    low, high = re.fullmatch(
        r">=3\.(\d+),<3\.(\d+)", pyproject["project"]["requires-python"]
    ).groups()
    supported = [f"3.{minor}" for minor in range(int(low), int(high))]
    makefile = re.search(r"^SUPPORTED_PYTHONS := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile is not None and makefile.group(1).split() == supported[::-1]  # newest first
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python>={supported[0]},<3.{high}" in environment["dependencies"]
    assert pyproject["tool"]["ruff"]["target-version"] == f"py3{low}"
    assert pyproject["tool"]["mypy"]["python_version"] == supported[0]
