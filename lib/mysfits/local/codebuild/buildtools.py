"""`docker` and `aws` as a local CodeBuild build sees them, when no Docker engine exists.

The local cloud cannot push a real image to its ECR (it serves no registry protocol), and
its ECS runs an image's build context as a process. So inside a local build, `docker build`
packs the build context as the notebook's no-Docker path does, `docker push` stores it in the
local ECR under the tag, and `aws ecr get-login-password` answers from ECR's own API. Only the
commands a buildspec for ECR needs are here; anything else fails with a message that says so.

Run as `python -m mysfits.local.codebuild.buildtools docker|aws ARGS…` (the build's PATH does).

Docker stamps each image's config with its creation time, so on AWS two builds of the same
source have different digests. Local builds are reproducible (same context, same digest) unless
the local cloud runs with MYSFITS_LOCAL_BUILD_TIMESTAMPS=1: then `docker build` stamps the
config as Docker does, which is how tests show nothing relies on equal digests.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ...buildcontext import DockerfileError, Recipe, context_tarball, parse_dockerfile
from ...ocipush import push_build_context

TIMESTAMPS_SETTING = "MYSFITS_LOCAL_BUILD_TIMESTAMPS"
_ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")


class ToolError(Exception):
    """A command failed; the message is what the tool prints before exiting 1."""


def _state_dir() -> Path:
    directory = Path(os.environ.get("MYSFITS_BUILD_DIR", ".")) / "docker"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _load(name: str) -> dict[str, Any]:
    path = _state_dir() / name
    return json.loads(path.read_text()) if path.exists() else {}


def _save(name: str, data: dict[str, Any]) -> None:
    (_state_dir() / name).write_text(json.dumps(data, indent=1, sort_keys=True))


def _client(service: str, region: str) -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL")
    )


def normalise(reference: str) -> str:
    """`repo` → `repo:latest`; a reference with a tag or digest stays as it is."""
    last = reference.rsplit("/", 1)[-1]
    return reference if ":" in last or "@" in last else f"{reference}:latest"


# -- docker -------------------------------------------------------------------------------------


def _docker_login(args: argparse.Namespace) -> str:
    password = sys.stdin.read().strip() if args.password_stdin else (args.password or "")
    if not password:
        raise ToolError("Error: Cannot perform an interactive login from a non TTY device")
    logins = _load("logins.json")
    logins[args.server or "docker.io"] = args.username or ""
    _save("logins.json", logins)
    return "Login Succeeded"


def _docker_build(args: argparse.Namespace) -> str:
    context = Path(args.path).resolve()
    dockerfile = Path(args.file).resolve() if args.file else context / "Dockerfile"
    try:
        relative = dockerfile.relative_to(context).as_posix()
        tarball = context_tarball(context, relative)
        recipe = parse_dockerfile(dockerfile.read_text())
    except ValueError as error:
        raise ToolError(f"ERROR: {error}") from None
    except (DockerfileError, OSError) as error:
        raise ToolError(f"ERROR: failed to build: {error}") from None
    image_id = hashlib.sha256(tarball).hexdigest()
    (_state_dir() / f"{image_id}.tar.gz").write_bytes(tarball)
    images = _load("images.json")
    stamped = os.environ.get(TIMESTAMPS_SETTING) == "1"
    created = datetime.now(UTC).isoformat() if stamped else ""
    images[image_id] = {"recipe": recipe.as_json(), "created": created}
    for tag in args.tag or []:
        images[normalise(tag)] = {"id": image_id}
    _save("images.json", images)
    lines = [
        f"local build runner (no Docker engine): build context of {relative} packed, "
        f"{len(tarball) / 1024:.1f} KiB; RUN steps are not executed",
        f"Successfully built {image_id[:12]}",
    ]
    lines += [f"Successfully tagged {normalise(tag)}" for tag in args.tag or []]
    return "\n".join(lines)


def _image_id(reference: str) -> str:
    images = _load("images.json")
    entry = images.get(normalise(reference)) or images.get(reference)
    if entry is None:
        matches = [key for key in images if "recipe" in images[key] and key.startswith(reference)]
        if len(matches) != 1:
            raise ToolError(f"Error response from daemon: No such image: {reference}")
        return matches[0]
    return entry.get("id", reference)


def _docker_tag(args: argparse.Namespace) -> str:
    image_id = _image_id(args.source)
    images = _load("images.json")
    images[normalise(args.target)] = {"id": image_id}
    _save("images.json", images)
    return ""


def _docker_push(args: argparse.Namespace) -> str:
    reference = normalise(args.reference)
    host, _, rest = reference.partition("/")
    registry = _ECR_HOST.match(host)
    if registry is None or not rest:
        raise ToolError(f"the local build runner pushes only to ECR registries, not {host!r}")
    if host not in _load("logins.json"):
        raise ToolError("no basic auth credentials")
    repository, _, tag = rest.rpartition(":")
    image_id = _image_id(reference)
    built = _load("images.json")[image_id]
    recipe = Recipe(**built["recipe"])
    tarball = (_state_dir() / f"{image_id}.tar.gz").read_bytes()
    ecr = _client("ecr", registry["region"])
    try:
        created = built.get("created", "")
        digest = push_build_context(ecr, repository, tarball, recipe, [tag], created)
    except ClientError as error:
        if error.response["Error"]["Code"] == "RepositoryNotFoundException":
            raise ToolError(
                f"name unknown: The repository with name '{repository}' does not exist in the "
                f"registry with id '{registry['account']}'"
            ) from None
        raise ToolError(f"error pushing {reference}: {error}") from None
    return (
        f"The push refers to repository [{host}/{repository}]\n"
        f"{tag}: digest: {digest} size: {len(tarball)}"
    )


def _docker_images(args: argparse.Namespace) -> str:
    rows = [
        f"{ref:<70} {entry['id'][:12]}"
        for ref, entry in sorted(_load("images.json").items())
        if "id" in entry
    ]
    return "\n".join([f"{'REPOSITORY:TAG':<70} IMAGE ID", *rows])


def _docker_version(args: argparse.Namespace) -> str:
    return (
        "mysfits local build runner: no Docker engine; "
        "images are stored as build contexts in the local ECR"
    )


def _docker_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docker", description=_docker_version(argparse.Namespace())
    )
    commands = parser.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login")
    login.add_argument("server", nargs="?")
    login.add_argument("-u", "--username")
    login.add_argument("-p", "--password")
    login.add_argument("--password-stdin", action="store_true")
    login.set_defaults(run=_docker_login)
    build = commands.add_parser("build")
    build.add_argument("path")
    build.add_argument("-f", "--file")
    build.add_argument("-t", "--tag", action="append")
    for ignored in ("--build-arg", "--platform", "--cache-from", "--label", "--target"):
        build.add_argument(ignored, action="append")
    for flag in ("-q", "--quiet", "--pull", "--no-cache", "--rm"):
        build.add_argument(flag, action="store_true")
    build.set_defaults(run=_docker_build)
    tag = commands.add_parser("tag")
    tag.add_argument("source")
    tag.add_argument("target")
    tag.set_defaults(run=_docker_tag)
    push = commands.add_parser("push")
    push.add_argument("reference")
    push.set_defaults(run=_docker_push)
    commands.add_parser("images").set_defaults(run=_docker_images)
    for name in ("version", "info"):
        commands.add_parser(name).set_defaults(run=_docker_version)
    return parser


# -- aws ----------------------------------------------------------------------------------------


def _aws(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog="aws")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--version", action="store_true")
    parser.add_argument("words", nargs="*")
    args, _ = parser.parse_known_args(argv)
    if args.version:
        return "aws-cli (mysfits local build runner)"
    if args.words == ["ecr", "get-login-password"]:
        token = _client("ecr", args.region).get_authorization_token()["authorizationData"][0][
            "authorizationToken"
        ]
        return base64.b64decode(token).decode().split(":", 1)[1]
    if args.words == ["sts", "get-caller-identity"]:
        identity = _client("sts", args.region).get_caller_identity()
        return json.dumps({k: identity[k] for k in ("UserId", "Account", "Arn")}, indent=4)
    raise ToolError(
        f"the local build runner's aws command runs only `aws ecr get-login-password` and "
        f"`aws sts get-caller-identity`, not `aws {' '.join(args.words)}`: use boto3 in a script"
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    tool, rest = (argv[0], argv[1:]) if argv else ("", [])
    try:
        if tool == "docker":
            if not rest or rest[0] not in {
                "login",
                "build",
                "tag",
                "push",
                "images",
                "version",
                "info",
            }:
                raise ToolError(
                    f"docker {' '.join(rest[:1])} is not available in the local build runner "
                    "(no Docker engine): login, build, tag, push, images, version and info are"
                )
            args = _docker_parser().parse_args(rest)
            output = args.run(args)
        elif tool == "aws":
            output = _aws(rest)
        else:
            raise ToolError(
                "usage: python -m mysfits.local.codebuild.buildtools docker|aws ARGS..."
            )
    except ToolError as error:
        print(error, file=sys.stderr)
        return 1
    if output:
        print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
