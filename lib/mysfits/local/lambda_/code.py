"""Function code unpacked once per code SHA-256, as Lambda's `/var/task` (read by every worker).

The zip comes from moto's record of the function: CreateFunction and UpdateFunctionCode read it
from `ZipFile` or, for `S3Bucket`/`S3Key`, from the local S3 at that moment, as AWS copies the
object when the function is created or updated [1].

[1] https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html
"""

from __future__ import annotations

import io
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path


class BadCode(Exception):
    """The function's zip cannot be unpacked; the message says why."""


class CodeCache:
    """Unpacked code folders under `root`, one per code SHA-256 (hex)."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()

    def task_root(self, sha256: str, code: bytes) -> Path:
        """The folder holding `code` unpacked (unpacking it on first use)."""
        folder = self.root / sha256
        with self._lock:
            if not folder.is_dir():
                self.root.mkdir(parents=True, exist_ok=True)
                staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=self.root))
                try:
                    unpack(code, staging)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                staging.rename(folder)
            return folder

    def clear(self) -> None:
        with self._lock:
            shutil.rmtree(self.root, ignore_errors=True)


def unpack(code: bytes, target: Path) -> None:
    """Extract the zip `code` into `target`, refusing members that would land outside it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(code))
    except zipfile.BadZipFile as error:
        raise BadCode(f"the function's code is not a zip file ({error})") from error
    base = target.resolve()
    with archive:
        for member in archive.infolist():
            destination = (base / member.filename).resolve()
            if not destination.is_relative_to(base):
                raise BadCode(f"the zip member {member.filename!r} points outside the package")
        archive.extractall(base)
