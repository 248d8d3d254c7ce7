"""What a local cloud started, recorded under `$MYSFITS_HOME`, for a successor to end after a crash.

Each local cloud keeps one record, `$MYSFITS_HOME/started/<pid>.jsonl`: itself, every process it
starts and its work folder, one JSON line each. A clean stop deletes the record. A cloud killed
with SIGKILL cannot; its children die with it (`core.children`), but what they started may live
on (a build's commands), and its work folder stays. `end_leftovers`, which `mysfits local start`
and `stop` call, ends both for every record whose cloud is no longer running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

RECORDS = "started"


def _created(pid: int) -> float | None:
    """When process `pid` started (its identity across pid reuse), or None when there is none."""
    try:
        return round(psutil.Process(pid).create_time(), 2)
    except psutil.Error:
        return None


class Ledger:
    """The record one local cloud keeps of what it started (thread-safe, append-only)."""

    def __init__(self, home: Path, pid: int | None = None):
        pid = pid or os.getpid()
        directory = home / RECORDS
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{pid}.jsonl"
        self._lock = threading.Lock()
        # Open as long as the cloud runs, so each line is one append.
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        # A detached cloud leads a session of its own: whatever is still in its group after it
        # died is its leftovers. (A cloud in a shell's job or in a test process shares its group.)
        own_session = pid == os.getpid() and os.getsid(0) == pid
        self._write({"cloud": pid, "created": _created(pid), "group": own_session})

    def process(self, pid: int, leads_group: bool = False) -> None:
        """Record a child; `leads_group` when it has a process group (or session) of its own."""
        self._write({"pid": pid, "created": _created(pid), "group": leads_group})

    def folder(self, path: Path) -> None:
        self._write({"folder": str(path)})

    def _write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.write(json.dumps(entry) + "\n")
                self._file.flush()

    def close(self) -> None:
        """The cloud stopped cleanly: nothing is left to end."""
        with self._lock:
            self._file.close()
        self.path.unlink(missing_ok=True)


@dataclass
class Ended:
    """What `end_leftovers` found and ended."""

    clouds: list[int] = field(default_factory=list)
    processes: int = 0
    folders: int = 0

    def __bool__(self) -> bool:
        return bool(self.clouds)

    def __str__(self) -> str:
        pids = ", ".join(str(pid) for pid in self.clouds)
        return (
            f"ended {self.processes} process(es) and removed {self.folders} work folder(s) left "
            f"behind by a local cloud that did not stop cleanly (pid {pids})"
        )


def end_leftovers(home: Path) -> Ended:
    """End what every local cloud recorded in `home` that is no longer running left behind."""
    ended = Ended()
    for record in sorted((home / RECORDS).glob("*.jsonl")):
        entries = _read(record)
        owner = entries[0] if entries and "cloud" in entries[0] else None
        if owner is not None and _alive(owner["cloud"], owner.get("created")):
            continue  # still running: `stop` ends it, and it ends its own children
        for entry in entries:
            if "folder" in entry:
                ended.folders += _remove(Path(entry["folder"]))
            else:
                ended.processes += _end(entry)
        record.unlink(missing_ok=True)
        ended.clouds.append(int(owner["cloud"]) if owner else int(record.stem))
    return ended


def _read(record: Path) -> list[dict[str, Any]]:
    entries = []
    for line in record.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by the crash
    return entries


def _alive(pid: int, created: float | None) -> bool:
    now = _created(int(pid))
    return now is not None and (created is None or now == created)


def _end(entry: dict[str, Any]) -> int:
    """SIGKILL the recorded process (if it is still that process) and, for a group, its members."""
    pid = int(entry.get("pid", entry.get("cloud", 0)))
    created = entry.get("created")
    victims = {pid} if pid != os.getpid() and _alive(pid, created) else set()
    leader_replaced = _created(pid) is not None and not _alive(pid, created)
    if entry.get("group") and not leader_replaced:
        victims |= _group_members(pid, created or 0.0)
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(victims)


def _group_members(group: int, since: float) -> set[int]:
    """Processes in process group `group` started after `since` (none from before a pid reuse)."""
    members = set()
    for process in psutil.process_iter(["create_time"]):
        try:
            if os.getpgid(process.pid) == group and round(process.info["create_time"], 2) >= since:
                members.add(process.pid)
        except (ProcessLookupError, PermissionError, TypeError):
            continue
    return members - {os.getpid()}


def _remove(folder: Path) -> int:
    if not folder.exists():
        return 0
    shutil.rmtree(folder, ignore_errors=True)
    return 1
