"""The layer rules (import-linter contracts in pyproject.toml) hold, cover all modules, can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "lib" / "mysfits"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Modules the local cloud may share with the library: they import nothing that provisions.
NEUTRAL = {"errors", "awsurls", "buildcontext", "ocipush"}
# The only modules that may reach into the local cloud directly.
MAY_IMPORT_LOCAL = {"workshop", "cli", "runner"}
FIX = "run scripts/import-contracts to rewrite the lists in pyproject.toml"


def contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def library_modules() -> set[str]:
    """Every module and subpackage of the library but the local cloud itself."""
    modules = {path.stem for path in LIB.glob("*.py") if path.stem != "__init__"}
    packages = {path.parent.name for path in LIB.glob("*/__init__.py")} - {"local"}
    return modules | packages


def lint_imports(lib: Path, service: Path, streaming: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (lib, service, streaming)))}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_the_contracts_are_kept() -> None:
    result = lint_imports(ROOT / "lib", ROOT / "service", ROOT / "streaming")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_local_cloud_contract_forbids_every_module_but_the_neutral_ones() -> None:
    forbidden = {
        name.removeprefix("mysfits.") for name in contracts()["local-cloud"]["forbidden_modules"]
    }
    assert forbidden == library_modules() - NEUTRAL, FIX


def test_the_provisioning_contract_covers_every_module_but_workshop_cli_and_runner() -> None:
    sources = {
        name.removeprefix("mysfits.") for name in contracts()["provisioning"]["source_modules"]
    }
    assert sources == library_modules() - MAY_IMPORT_LOCAL, FIX


@pytest.mark.parametrize(
    ("victim", "line", "contract"),
    [
        ("lib/mysfits/local/core/gateway.py", "from mysfits import website", "local-cloud"),
        ("lib/mysfits/website.py", "from mysfits.local import client", "provisioning"),
        ("service/mysfits_service/app.py", "import mysfits.errors", "deployables"),
        ("streaming/click_processor/app.py", "from mysfits import names", "deployables"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, victim: str, line: str, contract: str
) -> None:
    for tree in ("lib", "service", "streaming"):
        shutil.copytree(
            ROOT / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
    target = tmp_path / victim
    target.write_text(target.read_text() + f"\n{line}  # added by the test\n")
    result = lint_imports(tmp_path / "lib", tmp_path / "service", tmp_path / "streaming")
    assert result.returncode != 0
    report = " ".join(result.stdout.split())  # lint-imports wraps long contract names
    assert f"{contracts()[contract]['name']} BROKEN" in report, result.stdout
    assert "1 broken" in report
