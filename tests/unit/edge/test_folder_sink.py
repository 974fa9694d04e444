"""The dry-run sink writes what the uploader would send: JPEG at the key, metadata beside it."""

from __future__ import annotations

import errno
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge_agent import folder_sink
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


def face_event(seq: int) -> FrameEvent:
    return FrameEvent(
        camera_id="porch",
        track_id="porch-1700000000000-3",
        seq=seq,
        captured_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        kind="face",
        jpeg=b"\xff\xd8jpeg" * 100,
        local_match="unknown",
        faces=(FaceBox(10, 60, 70, 5),),
        quality=0.5,
    )


class FullDisk:
    """Stands in for folder_sink._write_atomic: files named `failing` fail with `code`
    after writing half their bytes to the temp file, as the kernel leaves them."""

    def __init__(self, failing: str, code: int) -> None:
        self.failing, self.code, self.full = failing, code, True
        self._write = folder_sink._write_atomic

    def __call__(self, path: Path, data: bytes) -> None:
        if self.full and path.name.endswith(self.failing):
            folder_sink._temp_of(path).write_bytes(data[: len(data) // 2])
            raise OSError(self.code, os.strerror(self.code), str(path))
        self._write(path, data)


@pytest.mark.parametrize(
    ("failing", "code"), [(".json", errno.ENOSPC), (".jpg", errno.EFBIG), (".json", errno.EDQUOT)]
)
def test_a_full_disk_drops_the_event_whole_counts_it_and_watching_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failing, code
) -> None:
    disk = FullDisk(failing, code)
    monkeypatch.setattr(folder_sink, "_write_atomic", disk)
    sink = FolderSink(tmp_path / "out")
    with caplog.at_level(logging.ERROR, logger="edge_agent.folder_sink"):
        sink.submit(face_event(1))
        sink.submit(face_event(2))
    assert (sink.submitted, sink.disk_full_drops) == (0, 2)
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []  # nothing partial
    (error,) = caplog.records  # one error, not one per event, and no traceback
    assert "disk_full_drops" in error.getMessage() and error.exc_info is None

    disk.full = False  # space again: the next event is written whole
    sink.submit(face_event(3))
    assert sink.submitted == 1 and [e["seq"] for e in read_events(tmp_path / "out")] == [3]


def test_other_write_errors_are_not_mistaken_for_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder_sink, "_write_atomic", FullDisk(".jpg", errno.EACCES))
    with pytest.raises(PermissionError):
        FolderSink(tmp_path / "out").submit(face_event(1))
