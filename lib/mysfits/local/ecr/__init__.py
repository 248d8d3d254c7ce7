"""ECR: pushed layers keep their bytes, images are digested by manifest, and images become
something the local ECS can run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import patches
from .images import ImageCache

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> ImageCache:
    patches.apply(cloud.patches, cloud.stores)
    patches.apply_manifest_digests(cloud.patches)
    return ImageCache(cloud.work_dir / "images", cloud.stores)
