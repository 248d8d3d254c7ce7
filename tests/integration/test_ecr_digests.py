"""ECR digests an image by its manifest, as registries do (moto hashed only the layer digests)."""

from __future__ import annotations

import pytest

from mysfits.buildcontext import Recipe
from mysfits.ocipush import push_build_context
from mysfits.workshop import Workshop

pytestmark = pytest.mark.integration


def test_a_config_change_changes_the_digest_the_registry_reports(ws: Workshop) -> None:
    ecr, name = ws.client("ecr"), f"{ws.prefix}/digests"
    ecr.create_repository(repositoryName=name)
    try:
        recipe, context = Recipe(cmd=["python", "-m", "x"]), b"the same layer"
        pushed = {
            tag: push_build_context(ecr, name, context, recipe, [tag], created=created)
            for tag, created in (("plain", ""), ("stamped", "2025-01-01T00:00:00+00:00"))
        }
        reported = {
            tag: ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])[
                "imageDetails"
            ][0]["imageDigest"]
            for tag in pushed
        }
        assert reported == pushed  # the sha256 of each manifest, as pushed
        assert reported["plain"] != reported["stamped"]
    finally:
        ecr.delete_repository(repositoryName=name, force=True)
