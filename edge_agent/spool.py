"""A crash-safe, size-bounded disk queue of events waiting for upload.

Each item is two files that share a name: `<name>.jpg` and `<name>.json`. Both are written
to a temp file, fsynced and renamed into place; the JSON sidecar goes last and is the commit
marker, so a crash leaves either a whole item or an orphan that the next start cleans up.
Names start with the creation time in nanoseconds, so sorting them gives the upload order.

When the spool would grow past `max_bytes`, it evicts the oldest `motion` items first, then
the oldest faces, and counts what it evicted per kind. An item leaves the spool only through
`remove()` (after S3 confirmed it), eviction, or `set_aside()` into `rejected/` when S3
refuses the item itself.

When the disk itself is full (ENOSPC, EDQUOT), the same order makes room: older motion items,
then older faces, are deleted until the new item can be written; a new motion item is dropped
rather than push out a face. A file too large for the filesystem or the process's file size
limit (EFBIG) is dropped alone, since deleting others cannot help it. Both are counted in
`disk_full_drops` and logged as one error (repeated at most hourly while it lasts), never a
traceback per event. Any other write error is raised, leaving no half-written files.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge_agent.events import FrameEvent
from edge_agent.folder_sink import sidecar_of

log = logging.getLogger(__name__)

SIDECAR_VERSION = 1
_TMP_SUFFIX = ".tmp"
_QUARANTINE = "corrupt"
_REJECTED = "rejected"
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_DISK_ERROR_REMINDER_SECONDS = 3600.0


@dataclass(frozen=True)
class SpoolItem:
    """One committed event on disk."""

    name: str
    key: str
    kind: str
    metadata: dict[str, str]
    created_ns: int
    size: int
    directory: Path

    @property
    def jpeg_path(self) -> Path:
        return self.directory / f"{self.name}.jpg"

    @property
    def sidecar_path(self) -> Path:
        return self.directory / f"{self.name}.json"

    def read_jpeg(self) -> bytes:
        return self.jpeg_path.read_bytes()


def _check_header_safe(what: str, value: str) -> None:
    """S3 keys and x-amz-meta-* values travel in HTTP headers/paths: printable ASCII only."""
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"{what} must be printable ASCII, got {value!r}")


def _sidecar(event: FrameEvent, created_ns: int) -> dict[str, Any]:
    """The dry-run sidecar (same fields, same metadata) plus the spool's own bookkeeping."""
    sidecar = sidecar_of(event)
    _check_header_safe("S3 key", sidecar["key"])
    for field, value in sidecar["metadata"].items():
        _check_header_safe(f"metadata {field}", value)
    return {
        **sidecar,
        "version": SIDECAR_VERSION,
        "created_ns": created_ns,
        "created_at": datetime.fromtimestamp(created_ns / 1e9, UTC).isoformat(),
    }


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + _TMP_SUFFIX)
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """Implements `EventSink`: `submit()` returns once the event is durable on disk."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"spool max_bytes must be positive, got {max_bytes}")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # faces are private
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._items: dict[str, SpoolItem] = {}
        self._bytes = 0
        self._counter = itertools.count()
        self.submitted = 0
        self.evicted: Counter[str] = Counter()
        self.disk_full_drops: Counter[str] = Counter()
        self._last_disk_error_log: float | None = None
        self.recovered = 0
        self.rejected = 0
        self._resume()

    # -- EventSink -------------------------------------------------------------------------
    def submit(self, event: FrameEvent) -> None:
        with self._lock:
            created_ns = max(time.time_ns(), self._last_created_ns() + 1)
            name = f"{created_ns:020d}-{next(self._counter):06d}"
            sidecar = json.dumps(_sidecar(event, created_ns), sort_keys=True).encode()
            item = SpoolItem(
                name=name,
                key=event.key(),
                kind=event.kind,
                metadata=event.metadata(),
                created_ns=created_ns,
                size=len(event.jpeg) + len(sidecar),
                directory=self.directory,
            )
            if not self._make_room_for(item):
                return
            if not self._write_making_room_on_disk(item, event.jpeg, sidecar):
                return
            self._items[name] = item
            self._bytes += item.size
            self.submitted += 1
            self._changed.notify_all()

    # -- what the uploader uses ------------------------------------------------------------
    def pending(self) -> list[SpoolItem]:
        """Committed items, oldest first."""
        with self._lock:
            return [self._items[name] for name in sorted(self._items)]

    def remove(self, item: SpoolItem) -> None:
        """Forget an item (after S3 confirmed it). A no-op if it was evicted meanwhile."""
        with self._lock:
            self._delete(item)
            self._changed.notify_all()

    def set_aside(self, item: SpoolItem, reason: str) -> None:
        """Move an item S3 refuses for what it is into `rejected/`, keeping the data."""
        with self._lock:
            if self._items.pop(item.name, None) is None:
                return
            self._bytes -= item.size
            self.rejected += 1
            target = self.directory / _REJECTED
            target.mkdir(exist_ok=True)
            try:
                (target / f"{item.name}.reason.txt").write_text(reason + "\n")
            except OSError as error:  # a full disk: the files still move (a rename needs no room)
                log.warning("spool: kept %s in rejected/ without its reason (%s): %s",
                            item.name, error.strerror or error, reason)  # fmt: skip
            for path in (item.jpeg_path, item.sidecar_path):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(path, target / path.name)
            self._changed.notify_all()

    def wait_for_items(self, timeout: float) -> bool:
        """Block until the spool holds an item, `timeout` passes or `wake()` is called."""
        with self._changed:
            if not self._items:
                self._changed.wait(timeout)
            return bool(self._items)

    def wake(self) -> None:
        """Release threads blocked in `wait_for_items` (e.g. an uploader asked to stop)."""
        with self._changed:
            self._changed.notify_all()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def bytes_used(self) -> int:
        with self._lock:
            return self._bytes

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "pending": len(self._items),
                "bytes": self._bytes,
                "submitted": self.submitted,
                "recovered": self.recovered,
                "rejected": self.rejected,
                "evicted_motion": self.evicted["motion"],
                "evicted_face": self.evicted["face"],
                "disk_full_drops_motion": self.disk_full_drops["motion"],
                "disk_full_drops_face": self.disk_full_drops["face"],
            }

    # -- internals (lock held) -------------------------------------------------------------
    def _last_created_ns(self) -> int:
        return max((item.created_ns for item in self._items.values()), default=0)

    def _make_room_for(self, new: SpoolItem) -> bool:
        """Evict until `new` fits. Returns False when `new` itself is the one to drop."""
        if self._bytes + new.size <= self.max_bytes:
            return True
        if new.size > self.max_bytes:
            self.evicted[new.kind] += 1
            log.error(
                "spool: %s event %s (%d bytes) is larger than the whole spool (%d bytes); dropped",
                new.kind,
                new.key,
                new.size,
                self.max_bytes,
            )
            return False
        for victim in self._eviction_order(new):
            if self._bytes + new.size <= self.max_bytes:
                return True
            self.evicted[victim.kind] += 1
            if victim is new:
                log.warning(
                    "spool full (%d of %d bytes): dropped new %s event %s",
                    self._bytes,
                    self.max_bytes,
                    new.kind,
                    new.key,
                )
                return False
            log.warning("spool full: evicted %s event %s", victim.kind, victim.key)
            self._delete(victim)
        return self._bytes + new.size <= self.max_bytes

    def _eviction_order(self, new: SpoolItem) -> list[SpoolItem]:
        """Motion before faces, oldest first; the newcomer is the newest of its kind."""
        return sorted(
            [*self._items.values(), new],
            key=lambda item: (item.kind != "motion", item.created_ns),
        )

    def _write_making_room_on_disk(self, new: SpoolItem, jpeg: bytes, sidecar: bytes) -> bool:
        """Write `new` to disk. When the disk is full, delete items in eviction order until
        it fits. Returns False when `new` itself was dropped."""
        victims = iter(self._eviction_order(new))
        while True:
            try:
                self._write(new, jpeg, sidecar)
                return True
            except OSError as error:
                self._discard_files_of(new)
                if error.errno not in _NO_SPACE and error.errno != errno.EFBIG:
                    raise
                self._report_disk_error(new, error)
                # More room cannot help a file that is too large for the filesystem.
                victim = new if error.errno == errno.EFBIG else next(victims)
                self.disk_full_drops[victim.kind] += 1
                if victim is new:
                    log.debug("spool: disk full: dropped new %s event %s", new.kind, new.key)
                    return False
                log.debug("spool: disk full: evicted %s event %s", victim.kind, victim.key)
                self._delete(victim)

    def _write(self, item: SpoolItem, jpeg: bytes, sidecar: bytes) -> None:
        _write_atomic(item.jpeg_path, jpeg)
        _fsync_dir(self.directory)  # the JPEG's name is durable before the commit marker
        _write_atomic(item.sidecar_path, sidecar)
        _fsync_dir(self.directory)

    def _discard_files_of(self, item: SpoolItem) -> None:
        """Remove whatever a failed `_write` left: temp files, the JPEG, even the sidecar."""
        for path in (item.sidecar_path, item.jpeg_path):
            path.with_name(path.name + _TMP_SUFFIX).unlink(missing_ok=True)
            path.unlink(missing_ok=True)

    def _report_disk_error(self, new: SpoolItem, error: OSError) -> None:
        """One error when the disk first refuses a write, then a reminder at most hourly."""
        now = time.monotonic()
        last = self._last_disk_error_log
        if last is not None and now - last < _DISK_ERROR_REMINDER_SECONDS:
            return
        self._last_disk_error_log = now
        log.error(
            "spool: cannot write %s event %s to %s: %s. Keeping the newest events: older "
            "motion snapshots, then older faces, are deleted to make room, and an event that "
            "still does not fit is dropped (counted as disk_full_drops, %d so far). "
            "Free space on that disk or move spool.dir.",
            new.kind,
            new.key,
            self.directory,
            error.strerror or error,
            sum(self.disk_full_drops.values()),
        )

    def _delete(self, item: SpoolItem) -> None:
        if self._items.pop(item.name, None) is None:
            return
        self._bytes -= item.size
        # Sidecar first: without its commit marker the JPEG is an orphan, never a ghost item.
        item.sidecar_path.unlink(missing_ok=True)
        item.jpeg_path.unlink(missing_ok=True)

    def _resume(self) -> None:
        """Load committed items left by a previous run; clean up what a crash left behind."""
        for tmp in self.directory.glob(f"*{_TMP_SUFFIX}"):
            log.info("spool: removing unfinished write %s", tmp.name)
            tmp.unlink(missing_ok=True)
        for sidecar_path in sorted(self.directory.glob("*.json")):
            name = sidecar_path.stem
            jpeg_path = self.directory / f"{name}.jpg"
            try:
                sidecar = json.loads(sidecar_path.read_bytes())
                item = SpoolItem(
                    name=name,
                    key=sidecar["key"],
                    kind=sidecar["kind"],
                    metadata=dict(sidecar["metadata"]),
                    created_ns=int(sidecar["created_ns"]),
                    size=jpeg_path.stat().st_size + sidecar_path.stat().st_size,
                    directory=self.directory,
                )
            except (OSError, ValueError, KeyError, TypeError) as error:
                self._quarantine(name, error)
                continue
            self._items[name] = item
            self._bytes += item.size
        committed = set(self._items)
        for jpeg_path in self.directory.glob("*.jpg"):
            if jpeg_path.stem not in committed:
                # Written before a crash, never committed: submit() had not returned.
                log.info("spool: removing uncommitted %s", jpeg_path.name)
                jpeg_path.unlink(missing_ok=True)
        self.recovered = len(self._items)
        if self.recovered:
            log.info("spool: resumed %d items (%d bytes)", self.recovered, self._bytes)

    def _quarantine(self, name: str, error: Exception) -> None:
        """Keep unreadable items aside for a human instead of deleting or re-trying them."""
        target = self.directory / _QUARANTINE
        target.mkdir(exist_ok=True)
        log.error("spool: item %s is unreadable (%s); moved to %s", name, error, target)
        for suffix in (".json", ".jpg"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.directory / f"{name}{suffix}", target / f"{name}{suffix}")
