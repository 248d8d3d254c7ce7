"""Buildspec version 0.2: parsing the document and finding the artifact files it names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .build import BuildFailed


def parse_buildspec(text: str) -> dict[str, Any]:
    """The buildspec as a dict; version 0.2 only, with a clear error otherwise."""
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BuildFailed(
            "YAML_FILE_ERROR", f"YAML file does not exist or is invalid: {error}"
        ) from None
    if not isinstance(spec, dict):
        raise BuildFailed("YAML_FILE_ERROR", "YAML file does not have a mapping at its top level")
    if str(spec.get("version")) != "0.2":
        raise BuildFailed(
            "YAML_FILE_ERROR",
            f"invalid buildspec version {spec.get('version')!r}: the local cloud runs version 0.2",
        )
    return spec


def _glob(pattern: str) -> re.Pattern[str]:
    """A buildspec file pattern as a regex: `**/` spans directories, `*` and `?` stay inside one."""
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    parts = re.split(r"(\*\*/|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def _matching(base: Path, patterns: list[re.Pattern[str]]) -> list[Path]:
    files = (path for path in sorted(base.rglob("*")) if path.is_file())
    return [
        path
        for path in files
        if any(p.fullmatch(path.relative_to(base).as_posix()) for p in patterns)
    ]


def artifact_files(root: Path, spec: dict[str, Any]) -> dict[str, Path]:
    """The files the buildspec's `artifacts` section selects, by their name inside the artifact."""
    section = spec.get("artifacts") or {}
    base = root / str(section.get("base-directory", "."))
    patterns = [_glob(str(p)) for p in section.get("files") or []]
    discard_paths = section.get("discard-paths") in (True, "yes")
    found = {
        path.name if discard_paths else path.relative_to(base).as_posix(): path
        for path in _matching(base, patterns)
    }
    if not found:
        raise BuildFailed("CLIENT_ERROR", "no matching artifact paths found")
    return found
