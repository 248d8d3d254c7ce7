"""ECR keeps the layers you push, and names an image by the digest of its manifest.

AWS behaviours restored: a completed layer upload stores the blob, so whatever pulls the
image later gets the bytes (moto 5.2.5 keeps only each layer's size; without the bytes the
local ECS could not run what was pushed). An image's digest is the sha256 of its manifest as
pushed, as for any OCI registry, so two images with the same layers but different configs
(Docker stamps each build's creation time in its config) have different digests; moto hashes
the layer digests alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from moto.ecr.models import ECRBackend, Image

from ..core.patching import Patches
from ..core.stores import Stores


class LayerBlobs:
    """The bytes of the layers and config blobs pushed to one account's registry in one region."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blobs: dict[str, bytes] = {}

    def put(self, digest: str, data: bytes) -> None:
        with self._lock:
            self._blobs[digest] = data

    def get(self, digest: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(digest)


def blobs(stores: Stores, account: str, region: str) -> LayerBlobs:
    """The layer store of `account`'s registry in `region`."""
    return stores.get("ecr", account, region, LayerBlobs)


def apply(patches: Patches, stores: Stores) -> None:
    """Make completed uploads keep their bytes."""

    def keeping_bytes(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def complete_layer_upload(
            self: ECRBackend,
            repository_name: str,
            upload_id: str,
            layer_digests: list[str],
            registry_id: str | None = None,
        ) -> dict[str, Any]:
            repository = self._get_repository(repository_name, registry_id)
            upload = repository.uploads.get(upload_id)
            data = bytes(upload.layer_parts) if upload is not None else b""
            result = original(self, repository_name, upload_id, layer_digests, registry_id)
            blobs(stores, self.account_id, self.region_name).put(result["layerDigest"], data)
            return result

        return complete_layer_upload

    patches.wrap("ecr.keep-layer-bytes", ECRBackend, "complete_layer_upload", keeping_bytes)


def _manifest_digest(self: Image) -> None:
    self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode("utf-8")).hexdigest()


def apply_manifest_digests(patches: Patches) -> None:
    """Digest images by their whole manifest, as registries do."""
    patches.apply("ecr.manifest-digest", Image, "_create_digest", _manifest_digest)
