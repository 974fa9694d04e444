"""Dry-run sink: each event becomes `<dir>/<S3 key>` plus a JSON sidecar next to it.

The sidecar holds the same metadata the uploader would send (DESIGN.md), so a dry run shows
exactly what would reach S3. Files are written to a temp name and renamed into place.
"""

from __future__ import annotations

import json
import os
from datetime import UTC
from pathlib import Path
from typing import Any

from edge_agent.events import FrameEvent


class FolderSink:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.submitted = 0

    def submit(self, event: FrameEvent) -> None:
        jpeg_path = self.directory / event.key()
        jpeg_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(jpeg_path, event.jpeg)
        sidecar = json.dumps(sidecar_of(event), indent=2, sort_keys=True).encode()
        _write_atomic(jpeg_path.with_suffix(".json"), sidecar)
        self.submitted += 1


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


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
