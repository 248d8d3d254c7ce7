"""Module 2, part 2: the ECR repository and the service's image.

With a Docker engine the image is built and pushed as usual. Without one, a target that
can run build contexts (the local cloud says so) receives the build context as an OCI
artifact through ECR's own upload API; any other target gets a clear error.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import buildcontext, paths
from .buildcontext import DEFAULT_DOCKERFILE, context_tarball, parse_dockerfile
from .checks import Check
from .errors import WorkshopError, error_code
from .idioms import absent_is_none, create_or_get, delete_if_present
from .inventory import Family, Leftover
from .ocipush import push_build_context
from .workshop import Workshop


class NoDockerEngine(WorkshopError):
    """No Docker engine to build with, and the target cannot run a build context."""


@dataclass(frozen=True)
class Repository:
    name: str
    uri: str
    arn: str


@dataclass(frozen=True)
class Image:
    """A pushed image: the tag the task definition uses, and how it was built."""

    repository: str
    tag: str
    digest: str
    uri: str
    built_with: str


def ensure_repository(ws: Workshop) -> Repository:
    """Create the ECR repository (scan on push, tagged) if it is missing."""
    ecr, name = ws.client("ecr"), ws.names.ecr_repository
    scanning = {"scanOnPush": True}
    found = create_or_get(
        lambda: ecr.create_repository(
            repositoryName=name, tags=ws.tag_list(), imageScanningConfiguration=scanning
        )["repository"],
        lambda: ecr.describe_repositories(repositoryNames=[name])["repositories"][0],
        "RepositoryAlreadyExistsException",
    )
    return Repository(name, found["repositoryUri"], found["repositoryArn"])


def _docker_client():  # returns docker.DockerClient | None
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
        return client
    except Exception:  # no socket, no daemon, no permission: all mean "no engine here"
        return None


def source_tag() -> str:
    """A tag naming the build context's content, so a code change makes a new tag (and rollout)."""
    return buildcontext.source_tag(context_tarball(paths.repo_root()))


def publish_image(ws: Workshop, repository: Repository) -> Image:
    """Build and push the service image (or its build context), unless the tag is already there.

    The tag names the source, so an image under it is this source's build: pushing another build
    (Docker builds differ in their digests) would change what running task definitions pull.
    """
    tag = source_tag()
    digest = _digest(ws, repository.name, tag)
    if digest is not None:
        uri = f"{repository.uri}:{tag}"
        return Image(repository.name, tag, digest, uri, "already in the repository")
    docker = _docker_client()
    if docker is not None:
        return _docker_push(ws, docker, repository, tag)
    if "build-context-images" not in ws.capabilities:
        raise NoDockerEngine(
            "no Docker engine is reachable to build the service image: start Docker (or run on "
            "a machine with Docker), or let the CI/CD pipeline build it remotely with CodeBuild"
        )
    return _push_build_context(ws, repository, tag)


def _docker_push(ws: Workshop, docker: Any, repository: Repository, tag: str) -> Image:
    root = paths.repo_root()
    image, _ = docker.images.build(
        path=str(root), dockerfile=DEFAULT_DOCKERFILE, tag=f"{repository.uri}:{tag}", rm=True
    )
    token = ws.client("ecr").get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    auth = {"username": user, "password": password}
    for name in (tag, "latest"):
        image.tag(repository.uri, tag=name)
        for line in docker.images.push(
            repository.uri, tag=name, auth_config=auth, stream=True, decode=True
        ):
            if "error" in line:
                raise WorkshopError(f"docker push failed: {line['error']}")
    digest = ws.client("ecr").describe_images(
        repositoryName=repository.name, imageIds=[{"imageTag": tag}]
    )
    return Image(
        repository.name,
        tag,
        digest["imageDetails"][0]["imageDigest"],
        f"{repository.uri}:{tag}",
        "docker",
    )


def _push_build_context(ws: Workshop, repository: Repository, tag: str) -> Image:
    root = paths.repo_root()
    recipe = parse_dockerfile((root / DEFAULT_DOCKERFILE).read_text())
    digest = push_build_context(
        ws.client("ecr"), repository.name, context_tarball(root), recipe, [tag, "latest"]
    )
    return Image(
        repository.name, tag, digest, f"{repository.uri}:{tag}", "build context (no Docker engine)"
    )


def _digest(ws: Workshop, repository: str, tag: str) -> str | None:
    """The digest of `repository:tag`, or None when there is no such image (or repository)."""
    ecr = ws.client("ecr")
    details = absent_is_none(
        lambda: ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])[
            "imageDetails"
        ],
        "ImageNotFoundException",
        "RepositoryNotFoundException",
    )
    return str(details[0]["imageDigest"]) if details else None


def check_image(ws: Workshop, image: Image) -> Check:
    """The tag is in the repository."""
    try:
        details = ws.client("ecr").describe_images(
            repositoryName=image.repository, imageIds=[{"imageTag": image.tag}]
        )["imageDetails"]
    except ClientError as error:
        return Check(f"image {image.tag} in {image.repository}", False, f"{error_code(error)}")
    tags = details[0].get("imageTags", []) if details else []
    return Check(
        f"image {image.tag} in {image.repository}",
        image.tag in tags,
        f"tags {tags}, built with {image.built_with}",
    )


def delete_repository(ws: Workshop) -> bool:
    """Delete the repository with every image; False if it was already gone."""
    ecr = ws.client("ecr")
    name = ws.names.ecr_repository
    return delete_if_present(
        lambda: ecr.delete_repository(repositoryName=name, force=True),
        "RepositoryNotFoundException",
    )


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The repository (its storage bills per GB-month, not per hour)."""
    ecr = ws.client("ecr")
    names = [ws.names.ecr_repository]
    found = absent_is_none(
        lambda: ecr.describe_repositories(repositoryNames=names), "RepositoryNotFoundException"
    )
    if found is not None:
        yield Leftover("ecr repository", ws.names.ecr_repository)


CLEANUP = Family(leftovers, steps=(("ECR repository", delete_repository),))
