"""A service's build context as a reproducible tarball, and what its Dockerfile asks for.

Without a Docker engine the local cloud runs an image as a local process: it reads the
Dockerfile's final stage (WORKDIR, COPY, ENV, USER, EXPOSE, CMD) and lays the copied files
out the same way. RUN steps (dependency installs) are skipped: the workshop's environment
already has the service's pinned requirements (a test keeps them in step).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shlex
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CONTEXT_MEDIA_TYPE = "application/vnd.mysfits.build-context.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.mysfits.build-context.config.v1+json"
DEFAULT_DOCKERFILE = "service/Dockerfile"


class DockerfileError(ValueError):
    """The Dockerfile uses something the local runner cannot reproduce; the message says what."""


@dataclass
class Recipe:
    """What the final stage of a Dockerfile sets up."""

    base: str = ""
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[str, str]] = field(default_factory=list)
    user: str = ""
    expose: list[int] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "base": self.base,
            "workdir": self.workdir,
            "env": self.env,
            "copies": self.copies,
            "user": self.user,
            "expose": self.expose,
            "cmd": self.cmd,
        }


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def _resolve(workdir: str, path: str) -> str:
    return str(PurePosixPath(workdir) / path) if not path.startswith("/") else path


def _copy(recipe: Recipe, rest: str) -> None:
    words = [
        w for w in shlex.split(rest) if not w.startswith("--chown") and not w.startswith("--chmod")
    ]
    if any(w.startswith("--from") for w in words):
        return  # copies out of a builder stage carry installed dependencies only
    *sources, dest = words
    recipe.copies += [(src, _resolve(recipe.workdir, dest)) for src in sources]


def _workdir(recipe: Recipe, rest: str) -> None:
    recipe.workdir = _resolve(recipe.workdir, rest)


def _env(recipe: Recipe, rest: str) -> None:
    recipe.env.update(_env_pairs(rest))


def _user(recipe: Recipe, rest: str) -> None:
    recipe.user = rest


def _expose(recipe: Recipe, rest: str) -> None:
    recipe.expose += [int(p.split("/")[0]) for p in rest.split()]


def _cmd(recipe: Recipe, rest: str) -> None:
    recipe.cmd = json.loads(rest) if rest.startswith("[") else ["/bin/sh", "-c", rest]


def _add(recipe: Recipe, rest: str) -> None:
    raise DockerfileError("ADD is not supported by the local runner: use COPY")


# What each instruction does to the recipe; instructions not listed (RUN, ARG, LABEL…) change
# nothing the local runner needs.
_INSTRUCTIONS: dict[str, Callable[[Recipe, str], None]] = {
    "WORKDIR": _workdir,
    "ENV": _env,
    "COPY": _copy,
    "USER": _user,
    "EXPOSE": _expose,
    "CMD": _cmd,
    "ENTRYPOINT": _cmd,
    "ADD": _add,
}


def parse_dockerfile(text: str) -> Recipe:
    """Read the final stage of a Dockerfile into a `Recipe`."""
    recipe = Recipe()
    for line in _logical_lines(text):
        instruction, _, rest = line.partition(" ")
        instruction, rest = instruction.upper(), rest.strip()
        if instruction == "FROM":
            recipe = Recipe(base=rest.split()[0])  # a new stage starts afresh
        elif instruction in _INSTRUCTIONS:
            _INSTRUCTIONS[instruction](recipe, rest)
    if not recipe.cmd:
        raise DockerfileError(
            "the Dockerfile has no CMD: the local runner cannot tell what to start"
        )
    return recipe


def _env_pairs(rest: str) -> dict[str, str]:
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def _copied(name: str, sources: list[str]) -> bool:
    parts = PurePosixPath(name).parts
    return "__pycache__" not in parts and any(
        name == source or name.startswith(source.rstrip("/") + "/") for source in sources
    )


def context_files(root: Path, dockerfile: str = DEFAULT_DOCKERFILE) -> dict[str, bytes]:
    """The Dockerfile and every file it COPYs, by path relative to `root`."""
    recipe = parse_dockerfile((root / dockerfile).read_text())
    members = {dockerfile}
    for source, _ in recipe.copies:
        path = root / source
        if path.is_dir():
            members |= {
                p.relative_to(root).as_posix()
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            }
        elif path.is_file():
            members.add(source)
        else:
            raise DockerfileError(
                f"the Dockerfile copies {source!r}, which does not exist under {root}"
            )
    return {name: (root / name).read_bytes() for name in sorted(members)}


def in_context(
    files: Mapping[str, bytes], dockerfile: str = DEFAULT_DOCKERFILE
) -> dict[str, bytes]:
    """The part of a source tree (path → bytes) that `dockerfile` builds from: it and its COPYs."""
    sources = [source for source, _ in parse_dockerfile(files[dockerfile].decode()).copies]
    return {
        name: data for name, data in files.items() if name == dockerfile or _copied(name, sources)
    }


def tarball(files: Mapping[str, bytes]) -> bytes:
    """A gzip tar of `files`, byte-identical for identical inputs (sorted, mode 644, time 0)."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as tar,
    ):
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()


def context_tarball(root: Path, dockerfile: str = DEFAULT_DOCKERFILE) -> bytes:
    """A gzip tar of the Dockerfile and every file it COPYs, byte-identical for identical inputs."""
    return tarball(context_files(root, dockerfile))


def source_tag(context: bytes) -> str:
    """The image tag naming a build context's content: a code change makes a new tag (a rollout)."""
    return "src-" + hashlib.sha256(context).hexdigest()[:12]
