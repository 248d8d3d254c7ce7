"""Build digests: reproducible by default, stamped as Docker's when the local cloud is asked to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mysfits import paths
from mysfits.buildcontext import (
    Recipe,
    context_files,
    context_tarball,
    in_context,
    source_tag,
    tarball,
)
from mysfits.local.codebuild.buildtools import TIMESTAMPS_SETTING
from mysfits.local.codebuild.buildtools import main as build_tool
from mysfits.ocipush import push_build_context


class FakeEcr:
    """Just the ECR calls a build-context push makes; remembers each tagged manifest."""

    def __init__(self) -> None:
        self.manifests: dict[str, str] = {}

    def batch_check_layer_availability(self, **_: Any) -> dict[str, Any]:
        return {"layers": [{}]}  # every blob already there: nothing to upload

    def put_image(self, imageTag: str, imageManifest: str, **_: Any) -> None:  # noqa: N803
        self.manifests[imageTag] = imageManifest


def test_a_build_context_digest_changes_only_with_its_creation_stamp() -> None:
    recipe, context = Recipe(cmd=["python"]), b"context"
    plain = [push_build_context(FakeEcr(), "repo", context, recipe, ["a"]) for _ in range(2)]
    stamped = [
        push_build_context(FakeEcr(), "repo", context, recipe, ["a"], created=when)
        for when in ("2025-01-01T00:00:00+00:00", "2025-01-01T00:00:01+00:00")
    ]
    assert plain[0] == plain[1]
    assert len({plain[0], *stamped}) == 3


@pytest.mark.parametrize("setting, stamped", [(None, False), ("1", True)])
def test_local_docker_build_stamps_only_when_the_cloud_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, stamped: bool
) -> None:
    monkeypatch.setenv("MYSFITS_BUILD_DIR", str(tmp_path))
    if setting is None:
        monkeypatch.delenv(TIMESTAMPS_SETTING, raising=False)
    else:
        monkeypatch.setenv(TIMESTAMPS_SETTING, setting)
    root = paths.repo_root()
    assert (
        build_tool(
            ["docker", "build", "-f", str(root / "service/Dockerfile"), "-t", "r:1", str(root)]
        )
        == 0
    )
    built = json.loads((tmp_path / "docker" / "images.json").read_text())
    created = [entry["created"] for entry in built.values() if "recipe" in entry]
    assert len(created) == 1 and bool(created[0]) is stamped


def test_the_source_tag_names_the_build_context_of_any_source_tree() -> None:
    root = paths.repo_root()
    files = context_files(root)
    assert tarball(files) == context_tarball(root)
    with_extras = {**files, "service/buildspec.yml": b"x", "README.md": b"y"}
    assert source_tag(tarball(in_context(with_extras))) == source_tag(context_tarball(root))
    changed = {**with_extras, "service/mysfits_service/release.json": b"{}"}
    assert source_tag(tarball(in_context(changed))) != source_tag(context_tarball(root))
