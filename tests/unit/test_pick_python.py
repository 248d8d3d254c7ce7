"""scripts/pick-python: the interpreter `make` uses, on a PATH of fake interpreters."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pick-python"
SHELL = "/bin/sh"


def interpreter(directory: Path, name: str, version: str | None) -> Path:
    """A fake Python that says it is `version`, or, with None, fails as an unselected pyenv shim."""
    path = directory / name
    body = (
        f'echo "{version}"' if version else 'echo "pyenv: {name}: command not found" >&2; exit 127'
    )
    path.write_text(f"#!{SHELL}\n{body}\n")
    path.chmod(0o755)
    return path


def pick(
    path: Path, *args: str, pyenv_root: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(path), "HOME": str(path), "PYENV_ROOT": str(pyenv_root or path / "no-pyenv")}
    return subprocess.run(
        [SHELL, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=30
    )


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


def test_the_newest_supported_version_found_wins(bin_dir: Path) -> None:
    interpreter(bin_dir, "python3.11", "3.11")
    newest = interpreter(bin_dir, "python3.12", "3.12")
    result = pick(bin_dir, "3.13", "3.12", "3.11")
    assert (result.returncode, result.stdout.strip()) == (0, str(newest))


def test_a_shim_that_does_not_run_is_passed_over(bin_dir: Path) -> None:
    interpreter(bin_dir, "python3.13", None)
    working = interpreter(bin_dir, "python3.11", "3.11")
    assert pick(bin_dir, "3.13", "3.12", "3.11").stdout.strip() == str(working)


def test_python3_counts_when_it_is_a_supported_version(bin_dir: Path) -> None:
    only = interpreter(bin_dir, "python3", "3.13")
    assert pick(bin_dir, "3.13", "3.12", "3.11").stdout.strip() == str(only)


def test_pyenv_installs_are_found_without_shims(bin_dir: Path, tmp_path: Path) -> None:
    installed = tmp_path / "pyenv" / "versions" / "3.12.1" / "bin"
    installed.mkdir(parents=True)
    found = interpreter(installed, "python3.12", "3.12")
    interpreter(bin_dir, "python3.11", "3.11")
    result = pick(bin_dir, "3.13", "3.12", "3.11", pyenv_root=tmp_path / "pyenv")
    assert result.stdout.strip() == str(found)


def test_except_skips_the_version_already_in_use(bin_dir: Path) -> None:
    interpreter(bin_dir, "python3.13", "3.13")
    older = interpreter(bin_dir, "python3.11", "3.11")
    assert pick(bin_dir, "--except", "3.13", "3.13", "3.12", "3.11").stdout.strip() == str(older)
    alone = pick(bin_dir, "--except", "3.13", "3.13")
    assert (alone.returncode, alone.stdout, alone.stderr) == (1, "", "")


def test_none_found_says_what_to_install(bin_dir: Path) -> None:
    interpreter(bin_dir, "python3", "3.10")
    result = pick(bin_dir, "3.13", "3.12", "3.11")
    assert result.returncode == 1 and result.stdout == ""
    assert "needs Python 3.13 3.12 3.11" in result.stderr
    assert "brew install python@3.13" in result.stderr and "make PYTHON=" in result.stderr
