"""Backend interface, the read-only file backend, and backend selection."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Protocol

from .config import Settings
from .errors import NotFound, NotSupported
from .filters import ListFilter
from .records import InvalidRecord, Record, record_from_json

log = logging.getLogger(__name__)

NO_DATABASE = "This deployment has no database yet: likes and adoptions are not available."


class MysfitStore(Protocol):
    """What the routes need from a backend. Records use the API's field names."""

    def list_mysfits(self, flt: ListFilter | None) -> list[Record]:
        """All valid records, or those matching ``flt``."""
        ...

    def get_mysfit(self, mysfit_id: str, viewer: str | None = None) -> Record:
        """One record; raises ``NotFound``. With ``viewer`` (a user's `sub`), where the backend
        records likes, the record also says whether that user liked and adopted it."""
        ...

    def like(self, mysfit_id: str, user: str | None = None) -> Record:
        """Add one like atomically and return the updated record.

        With ``user``, each user counts once: a second like changes nothing and still answers
        the record (``liked`` true). Without, every call adds one (before sign-in existed).
        """
        ...

    def adopt(self, mysfit_id: str, user: str | None = None) -> Record:
        """Mark adopted (by ``user`` when given) and return the updated record; raises
        ``AlreadyAdopted``."""
        ...


class SkipLog:
    """Warns once per bad record id, so a cache refresh loop cannot flood the log."""

    _LIMIT = 1000

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def skipped(self, record_id: object, reason: str) -> None:
        key = repr(record_id)
        with self._lock:
            if key in self._seen:
                return
            if len(self._seen) < self._LIMIT:
                self._seen.add(key)
        self._logger.warning("skipping malformed mysfit %s: %s", key, reason)


class FileStore:
    """Serves the data file, read once at startup. Read-only."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with self.path.open(encoding="utf-8") as handle:
            document = json.load(handle)
        raw_items = document.get("mysfits") if isinstance(document, dict) else None
        if not isinstance(raw_items, list):
            raise ValueError(f"{self.path}: expected an object with a 'mysfits' list")
        skip_log = SkipLog(log)
        records: list[Record] = []
        for raw in raw_items:
            try:
                records.append(record_from_json(raw))
            except InvalidRecord as exc:
                skip_log.skipped(raw.get("mysfitId") if isinstance(raw, dict) else None, str(exc))
        self._records = records
        self._by_id = {record["mysfitId"]: record for record in records}

    def list_mysfits(self, flt: ListFilter | None) -> list[Record]:
        if flt is None:
            return list(self._records)
        return [record for record in self._records if flt.matches(record)]

    def get_mysfit(self, mysfit_id: str, viewer: str | None = None) -> Record:
        record = self._by_id.get(mysfit_id)
        if record is None:
            raise NotFound(f"No mysfit with id {mysfit_id}")
        return record

    def like(self, mysfit_id: str, user: str | None = None) -> Record:
        raise NotSupported(NO_DATABASE)

    def adopt(self, mysfit_id: str, user: str | None = None) -> Record:
        raise NotSupported(NO_DATABASE)


def build_store(settings: Settings) -> MysfitStore:
    """Pick the backend from configuration."""
    if settings.table:
        # Imported here so the file backend never loads boto3 (start time, memory).
        from .dynamo_store import DynamoStore, make_client

        return DynamoStore(make_client(), settings.table, page_size=settings.page_size)
    return FileStore(settings.data_file)
