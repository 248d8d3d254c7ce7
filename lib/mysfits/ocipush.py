"""A build context stored in ECR as an OCI artifact, through ECR's own layer-upload API.

Neutral ground: the notebook's no-Docker image path and the local CodeBuild's `docker push`
both use it, so neither the library nor the local cloud imports the other.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.exceptions import ClientError

from .buildcontext import CONFIG_MEDIA_TYPE, CONTEXT_MEDIA_TYPE, Recipe
from .errors import error_code

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _upload_blob(ecr: Any, repository: str, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    available = ecr.batch_check_layer_availability(repositoryName=repository, layerDigests=[digest])
    if available["layers"]:
        return digest
    upload = ecr.initiate_layer_upload(repositoryName=repository)
    part = int(upload.get("partSize") or len(data)) or len(data)
    for start in range(0, len(data), part):
        chunk = data[start : start + part]
        ecr.upload_layer_part(
            repositoryName=repository,
            uploadId=upload["uploadId"],
            partFirstByte=start,
            partLastByte=start + len(chunk) - 1,
            layerPartBlob=chunk,
        )
    ecr.complete_layer_upload(
        repositoryName=repository, uploadId=upload["uploadId"], layerDigests=[digest]
    )
    return digest


def push_build_context(
    ecr: Any, repository: str, context: bytes, recipe: Recipe, tags: list[str], created: str = ""
) -> str:
    """Store a build context as an OCI artifact under `tags` by ECR's upload API; its digest.

    Shared by the notebook's no-Docker path and the local CodeBuild's `docker push`. `created`
    stamps the config as Docker does (so two builds of one context get different digests).
    """
    stamp = {"created": created} if created else {}
    config = json.dumps({**recipe.as_json(), **stamp}, sort_keys=True).encode()
    layer_digest, config_digest = (
        _upload_blob(ecr, repository, context),
        _upload_blob(ecr, repository, config),
    )
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": CONFIG_MEDIA_TYPE,
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [
                {"mediaType": CONTEXT_MEDIA_TYPE, "digest": layer_digest, "size": len(context)}
            ],
        },
        sort_keys=True,
    )
    for name in tags:
        # The same manifest under the same tag again: ECR refuses, and there is nothing to do.
        # (Neutral ground: the local cloud imports this module, so it cannot use mysfits.idioms,
        # whose retries wait with the library's progress bars.)
        try:
            ecr.put_image(
                repositoryName=repository,
                imageManifest=manifest,
                imageManifestMediaType=OCI_MANIFEST,
                imageTag=name,
            )
        except ClientError as error:
            if error_code(error) != "ImageAlreadyExistsException":
                raise
    return "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
