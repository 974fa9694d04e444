"""Dry-run sink: each event becomes `<dir>/<S3 key>` plus a JSON sidecar next to it.

The sidecar holds the same metadata the uploader would send (DESIGN.md), so a dry run shows
exactly what would reach S3. Files are written to a temp name and renamed into place.

A full disk (ENOSPC, EDQUOT) or a file size limit (EFBIG) drops that event, leaves no
partial files, counts it in `disk_full_drops` and logs one error (then at most hourly):
`doorman watch --dry-run` keeps watching, as it does with the spool.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from datetime import UTC
from pathlib import Path
from typing import Any

from edge_agent.events import FrameEvent

log = logging.getLogger(__name__)
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_REMINDER_SECONDS = 3600.0


class FolderSink:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.submitted = 0
        self.disk_full_drops = 0
        self._last_disk_error: float | None = None

    def submit(self, event: FrameEvent) -> None:
        jpeg_path = self.directory / event.key()
        sidecar_path = jpeg_path.with_suffix(".json")
        try:
            jpeg_path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(jpeg_path, event.jpeg)
            sidecar = json.dumps(sidecar_of(event), indent=2, sort_keys=True).encode()
            _write_atomic(sidecar_path, sidecar)
        except OSError as error:
            if error.errno not in _DISK_FULL:
                raise
            for path in (jpeg_path, sidecar_path):
                _temp_of(path).unlink(missing_ok=True)
                path.unlink(missing_ok=True)
            self.disk_full_drops += 1
            self._report(event, error)
            return
        self.submitted += 1

    def _report(self, event: FrameEvent, error: OSError) -> None:
        now = time.monotonic()
        if self._last_disk_error is not None and now - self._last_disk_error < _REMINDER_SECONDS:
            return
        self._last_disk_error = now
        log.error(
            "dry run: cannot write %s to %s: %s. The event is dropped (disk_full_drops: %d "
            "so far) and watching goes on; free space on that disk or choose another folder.",
            event.key(),
            self.directory,
            error.strerror or error,
            self.disk_full_drops,
        )


def sidecar_of(event: FrameEvent) -> dict[str, Any]:
    return {
        "key": event.key(),
        "kind": event.kind,
        "metadata": event.metadata(),
        "camera_id": event.camera_id,
        "track_id": event.track_id,
        "seq": event.seq,
        "captured_at": event.captured_at.astimezone(UTC).isoformat(),
        "local_match": event.local_match,
        "quality": event.quality,
        "faces": [[f.top, f.right, f.bottom, f.left] for f in event.faces],
        "jpeg_bytes": len(event.jpeg),
    }


def read_events(directory: Path) -> list[dict[str, Any]]:
    """The sidecars under `directory`, in key order (for tests, demos and reports)."""
    return [
        json.loads(path.read_text())
        for path in sorted(Path(directory).rglob("*.json"))
        if path.with_suffix(".jpg").is_file()
    ]


def _temp_of(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = _temp_of(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)
