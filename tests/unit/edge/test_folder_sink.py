"""The dry-run sink writes what the uploader would send: JPEG at the key, metadata beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from edge_agent.events import FaceBox, FrameEvent
from edge_agent.folder_sink import FolderSink, read_events


def test_event_lands_at_its_key_with_a_metadata_sidecar(tmp_path: Path) -> None:
    event = FrameEvent(
        camera_id="porch",
        track_id="porch-1700000000000-3",
        seq=1,
        captured_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        kind="face",
        jpeg=b"\xff\xd8jpeg",
        local_match="unknown",
        faces=(FaceBox(10, 60, 70, 5),),
        quality=0.5,
    )
    sink = FolderSink(tmp_path / "out")
    sink.submit(event)
    jpeg = tmp_path / "out" / "frames/porch/2026/03/04/porch-1700000000000-3-001.jpg"
    assert jpeg.read_bytes() == b"\xff\xd8jpeg"
    [sidecar] = read_events(tmp_path / "out")
    assert sidecar["key"] == event.key()
    assert sidecar["metadata"] == event.metadata()
    assert sidecar["metadata"]["local-match"] == "unknown"
    assert sidecar["faces"] == [[10, 60, 70, 5]]
    assert not list((tmp_path / "out").rglob("*.tmp"))
