"""The local CodeBuild's pure parts: buildspec parsing, artifact selection, image references."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mysfits.local.codebuild.build import BuildFailed
from mysfits.local.codebuild.buildspec import artifact_files, parse_buildspec
from mysfits.local.codebuild.buildtools import main as build_tool
from mysfits.local.codebuild.buildtools import normalise


def test_buildspec_must_be_version_0_2_yaml() -> None:
    assert parse_buildspec("version: 0.2\nphases: {}\n")["phases"] == {}
    for text, fragment in (
        ("version: 0.1\n", "version 0.2"),
        ("- a list\n", "mapping"),
        ("a: [\n", "invalid"),
    ):
        with pytest.raises(BuildFailed, match=fragment) as raised:
            parse_buildspec(text)
        assert raised.value.status_code == "YAML_FILE_ERROR"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("top.json", "out/a.txt", "out/deep/b.txt", "out/deep/c.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    return tmp_path


def test_artifact_patterns_follow_buildspec_globbing(tree: Path) -> None:
    def chosen(**section: object) -> list[str]:
        return sorted(artifact_files(tree, {"artifacts": section}))

    assert chosen(files=["top.json"]) == ["top.json"]
    assert chosen(files=["*.json"]) == ["top.json"]  # one star stays in its directory
    assert chosen(files=["out/**/*"]) == ["out/a.txt", "out/deep/b.txt", "out/deep/c.json"]
    assert chosen(files=["**/*.txt"]) == ["out/a.txt", "out/deep/b.txt"]
    assert chosen(files=["./top.json"]) == ["top.json"]
    assert chosen(files=["**/*"], **{"base-directory": "out/deep"}) == ["b.txt", "c.json"]
    assert chosen(files=["out/**/*.txt"], **{"discard-paths": "yes"}) == ["a.txt", "b.txt"]
    with pytest.raises(BuildFailed, match="no matching artifact paths"):
        chosen(files=["missing.zip"])


def test_image_references_default_to_latest() -> None:
    assert normalise("repo") == "repo:latest"
    assert (
        normalise("123456789012.dkr.ecr.us-east-1.amazonaws.com/p/service")
        == "123456789012.dkr.ecr.us-east-1.amazonaws.com/p/service:latest"
    )
    assert normalise("localhost:5000/repo:v1") == "localhost:5000/repo:v1"
    assert normalise("repo@sha256:abc") == "repo@sha256:abc"


def test_unsupported_tool_commands_fail_and_say_what_works(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MYSFITS_BUILD_DIR", str(tmp_path))
    assert build_tool(["docker", "run", "alpine"]) == 1
    assert "login, build, tag, push" in capsys.readouterr().err
    assert build_tool(["aws", "s3", "ls"]) == 1
    assert "ecr get-login-password" in capsys.readouterr().err
    assert build_tool(["docker", "push", "docker.io/library/alpine:3"]) == 1
    assert "only to ECR registries" in capsys.readouterr().err
    assert build_tool(["docker", "tag", "nothing:1", "other:1"]) == 1
    assert "No such image: nothing:1" in capsys.readouterr().err


def test_a_build_tool_starts_without_the_local_cloud_and_moto() -> None:
    # Each `docker`/`aws` command of a build is a new `python -m …buildtools`: importing moto
    # there cost seconds per command, five commands per release.
    probe = (
        "import sys, mysfits.local.codebuild.buildtools; "
        "print(sorted(m for m in sys.modules if m == 'moto' or m.endswith('codebuild.runner')))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "[]", answer.stdout
