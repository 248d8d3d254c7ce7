"""Turn an ECR image reference into something runnable on this machine.

Images pushed as a build context (the no-Docker path) are unpacked and laid out the way
their Dockerfile's COPY steps would; the result is cached per digest.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

from moto.ecr.models import ecr_backends

from ...buildcontext import CONTEXT_MEDIA_TYPE, DEFAULT_DOCKERFILE, Recipe, parse_dockerfile
from ..core.stores import Stores
from . import patches as ecr

_IMAGE_URI = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repo>[a-z0-9._/-]+?)(?::(?P<tag>[\w.-]+)|@(?P<digest>sha256:[a-f0-9]{64}))?$"
)


class ImageUnavailable(Exception):
    """The image cannot be pulled; the message reads like ECS's CannotPullContainerError."""


@dataclass(frozen=True)
class LocalImage:
    """An image laid out on disk: the root that stands for `/`, and its recipe."""

    digest: str
    root: Path
    recipe: Recipe

    @property
    def workdir(self) -> Path:
        return self.root / self.recipe.workdir.lstrip("/")


class ImageCache:
    """Materialises images under `directory`, once per digest."""

    def __init__(self, directory: Path, stores: Stores):
        self._directory = directory
        self._stores = stores
        self._lock = threading.Lock()

    def resolve(self, image_uri: str) -> LocalImage:
        match = _IMAGE_URI.match(image_uri)
        if match is None:
            raise ImageUnavailable(
                f"CannotPullContainerError: {image_uri} is not an ECR image of the local cloud "
                "(expected <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
            )
        backend = ecr_backends[match["account"]][match["region"]]
        repository = backend.repositories.get(match["repo"])
        if repository is None:
            raise ImageUnavailable(
                f"CannotPullContainerError: repository {match['repo']} does not exist"
            )
        wanted_tag, wanted_digest = (
            match["tag"] or ("latest" if not match["digest"] else None),
            match["digest"],
        )
        for image in repository.images:
            if (wanted_digest and image.image_digest == wanted_digest) or (
                wanted_tag and wanted_tag in image.image_tags
            ):
                blobs = ecr.blobs(self._stores, match["account"], match["region"])
                return self._materialise(
                    image.image_digest, json.loads(image.image_manifest), blobs
                )
        raise ImageUnavailable(f"CannotPullContainerError: {image_uri}: not found")

    def _materialise(self, digest: str, manifest: dict, blobs: ecr.LayerBlobs) -> LocalImage:
        layers = [
            layer
            for layer in manifest.get("layers", [])
            if layer.get("mediaType") == CONTEXT_MEDIA_TYPE
        ]
        if not layers:
            raise ImageUnavailable(
                "CannotPullContainerError: this image holds container layers, which need a "
                "Docker engine; start Docker so the local cloud can run it"
            )
        target = self._directory / digest.replace(":", "-")
        with self._lock:
            if not (target / ".ready").exists():
                data = blobs.get(layers[0]["digest"])
                if data is None:
                    raise ImageUnavailable(
                        f"CannotPullContainerError: layer {layers[0]['digest']} is missing"
                    )
                _lay_out(data, target)
        recipe = parse_dockerfile((target / "context" / DEFAULT_DOCKERFILE).read_text())
        return LocalImage(digest, target / "rootfs", recipe)


def _lay_out(context_tar_gz: bytes, target: Path) -> None:
    """Unpack the context, then copy what each COPY step names to where it puts it."""
    shutil.rmtree(target, ignore_errors=True)
    context, rootfs = target / "context", target / "rootfs"
    with tarfile.open(fileobj=io.BytesIO(context_tar_gz), mode="r:gz") as tar:
        tar.extractall(context, filter="data")
    recipe = parse_dockerfile((context / DEFAULT_DOCKERFILE).read_text())
    rootfs.mkdir(parents=True)
    for source, dest in recipe.copies:
        origin, destination = context / source, rootfs / dest.lstrip("/")
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            if dest.endswith("/"):
                destination = destination / origin.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)
    (target / ".ready").touch()
