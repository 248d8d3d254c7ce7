"""check_image fails when the tag is not in the repository and passes when it is (moto's ECR)."""

from __future__ import annotations

import json

import pytest

from mysfits import images
from mysfits.workshop import Workshop

TAG = "src-0123456789ab"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1469,
            "digest": "sha256:" + "1" * 64,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 2048,
                "digest": "sha256:" + "2" * 64,
            }
        ],
    }
)


@pytest.fixture
def repository(ws: Workshop) -> images.Repository:
    return images.ensure_repository(ws)


def _image(repository: images.Repository, tag: str = TAG) -> images.Image:
    return images.Image(
        repository.name, tag, "sha256:" + "0" * 64, f"{repository.uri}:{tag}", "docker"
    )


def test_image_passes_when_the_tag_was_pushed(ws: Workshop, repository: images.Repository) -> None:
    ws.client("ecr").put_image(repositoryName=repository.name, imageManifest=MANIFEST, imageTag=TAG)
    check = images.check_image(ws, _image(repository))
    assert check.ok and check.evidence == f"tags ['{TAG}'], built with docker"


def test_image_fails_when_only_another_tag_was_pushed(
    ws: Workshop, repository: images.Repository
) -> None:
    # An older build: the task definition would name a tag the registry does not have.
    ws.client("ecr").put_image(
        repositoryName=repository.name, imageManifest=MANIFEST, imageTag="src-olderbuild00"
    )
    check = images.check_image(ws, _image(repository))
    assert not check.ok and check.evidence == "ImageNotFoundException"


def test_image_fails_when_the_repository_is_gone(
    ws: Workshop, repository: images.Repository
) -> None:
    images.delete_repository(ws)
    check = images.check_image(ws, _image(repository))
    assert not check.ok and check.evidence == "RepositoryNotFoundException"
