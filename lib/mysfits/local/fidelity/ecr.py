"""ECR keeps the layers you push.

AWS behaviour restored: a completed layer upload stores the blob, so whatever pulls the
image later gets the bytes. moto 5.2.5 keeps only each layer's size; without the bytes the
local ECS could not run what was pushed.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.ecr.models import ECRBackend

_blobs: dict[str, bytes] = {}
_lock = threading.Lock()
_installed = False


def blob(digest: str) -> bytes | None:
    """The bytes of a pushed layer or config blob, by digest."""
    with _lock:
        return _blobs.get(digest)


def install() -> None:
    """Patch moto's ECR backend once, so completed uploads keep their bytes."""
    global _installed
    if _installed:
        return
    original = ECRBackend.complete_layer_upload

    def complete_layer_upload(self: ECRBackend, repository_name: str, upload_id: str, layer_digests: list[str],
                              registry_id: str | None = None) -> dict[str, Any]:
        repository = self._get_repository(repository_name, registry_id)
        upload = repository.uploads.get(upload_id)
        data = bytes(upload.layer_parts) if upload is not None else b""
        result = original(self, repository_name, upload_id, layer_digests, registry_id)
        with _lock:
            _blobs[result["layerDigest"]] = data
        return result

    ECRBackend.complete_layer_upload = complete_layer_upload  # type: ignore[method-assign]
    _installed = True
