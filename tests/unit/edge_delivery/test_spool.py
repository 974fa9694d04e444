"""The disk spool: atomic items, resume after a crash, and the eviction order of the cap."""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from edge_agent import __version__
from edge_agent import spool as spool_module
from edge_agent.events import EventKind
from edge_agent.spool import Spool
from tests.unit.edge_delivery.factory import make_event

PAYLOAD = 10_000  # every test item carries this many JPEG bytes


def payload(n: int) -> bytes:
    return b"\xff\xd8" + bytes([n % 256]) * (PAYLOAD - 2)


def files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_file())


def on_disk_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.suffix in (".jpg", ".json"))


def test_submit_writes_jpeg_and_sidecar_with_design_metadata(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    event = make_event(7, local_match="grace-hopper")
    spool.submit(event)

    [item] = spool.pending()
    assert item.read_jpeg() == event.jpeg
    assert files(tmp_path) == [f"{item.name}.jpg", f"{item.name}.json"]  # no temp files left
    sidecar = json.loads(item.sidecar_path.read_text())
    assert sidecar["key"] == "frames/door/2026/05/04/t00007-007.jpg" == item.key
    assert sidecar["kind"] == "face"
    assert sidecar["metadata"] == {
        "camera-id": "door",
        "captured-at": "2026-05-04T12:00:07.000+00:00",
        "track-id": "t00007",
        "kind": "face",
        "local-match": "grace-hopper",
        "agent-version": __version__,
    }
    created = datetime.fromisoformat(sidecar["created_at"])
    assert created.tzinfo is not None
    assert sidecar["jpeg_bytes"] == len(event.jpeg)
    assert spool.bytes_used == on_disk_bytes(tmp_path)


def test_pending_is_oldest_first_and_remove_deletes_both_files(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    for n in (3, 1, 2):
        spool.submit(make_event(n))
    items = spool.pending()
    assert [item.key.rsplit("/", 1)[1] for item in items] == [
        "t00003-003.jpg",
        "t00001-001.jpg",
        "t00002-002.jpg",
    ]  # submission order, not key order
    spool.remove(items[0])
    spool.remove(items[0])  # a second remove (e.g. after eviction) is a no-op
    assert len(spool) == 2
    assert len(files(tmp_path)) == 4
    assert spool.bytes_used == on_disk_bytes(tmp_path)


def test_restart_resumes_items_and_cleans_what_a_crash_left(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    for n in range(3):
        spool.submit(make_event(n))
    keys = [item.key for item in spool.pending()]
    # What a crash can leave: a half-written temp file, a JPEG whose sidecar never
    # committed, and (disk trouble) an unreadable sidecar.
    (tmp_path / "99999999999999999999-000001.jpg.tmp").write_bytes(b"half")
    (tmp_path / "99999999999999999999-000002.jpg").write_bytes(b"\xff\xd8orphan")
    (tmp_path / "00000000000000000001-000003.json").write_text("{not json")
    (tmp_path / "00000000000000000001-000003.jpg").write_bytes(b"\xff\xd8kept")

    resumed = Spool(tmp_path, max_bytes=1_000_000)

    assert [item.key for item in resumed.pending()] == keys
    assert resumed.recovered == 3
    assert len(files(tmp_path)) == 6  # 3 items x 2 files; temp and orphan gone
    corrupt = tmp_path / "corrupt"
    assert sorted(p.name for p in corrupt.iterdir()) == [
        "00000000000000000001-000003.jpg",
        "00000000000000000001-000003.json",
    ]  # set aside for a human, not deleted
    assert resumed.bytes_used == on_disk_bytes(tmp_path)
    resumed.submit(make_event(10))  # new items sort after resumed ones
    assert resumed.pending()[-1].key.endswith("t00010-010.jpg")


def test_cap_evicts_oldest_motion_first_then_oldest_faces(tmp_path: Path) -> None:
    probe = Spool(tmp_path / "probe", max_bytes=1_000_000)
    probe.submit(make_event(0, payload=payload(0)))
    item_size = probe.bytes_used
    spool = Spool(tmp_path / "spool", max_bytes=4 * item_size + item_size // 2)  # 4 items

    def submit(n: int, kind: EventKind) -> None:
        spool.submit(make_event(n, kind=kind, payload=payload(n)))

    def held() -> list[str]:
        return [f"{item.kind}{item.key.split('/t')[-1][3:5]}" for item in spool.pending()]

    submit(1, "face")
    submit(2, "motion")
    submit(3, "face")
    submit(4, "motion")
    assert held() == ["face01", "motion02", "face03", "motion04"]
    submit(5, "face")  # full: the oldest motion goes
    assert held() == ["face01", "face03", "motion04", "face05"]
    submit(6, "face")  # the next motion goes
    assert held() == ["face01", "face03", "face05", "face06"]
    submit(7, "face")  # no motion left: the oldest face goes
    assert held() == ["face03", "face05", "face06", "face07"]
    submit(8, "motion")  # a new motion never pushes out a face: it is dropped itself
    assert held() == ["face03", "face05", "face06", "face07"]

    assert spool.evicted == {"motion": 3, "face": 1}
    assert spool.stats()["evicted_motion"] == 3
    assert spool.stats()["evicted_face"] == 1
    assert spool.bytes_used <= spool.max_bytes
    assert spool.bytes_used == on_disk_bytes(tmp_path / "spool")
    assert len(files(tmp_path / "spool")) == 8


def test_an_item_larger_than_the_cap_is_dropped_without_evicting_others(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=3 * PAYLOAD)
    spool.submit(make_event(1, kind="motion", payload=payload(1)))
    spool.submit(make_event(2, payload=b"\xff\xd8" + b"x" * (4 * PAYLOAD)))
    assert [item.kind for item in spool.pending()] == ["motion"]
    assert spool.evicted == {"face": 1}


class SmallDisk:
    """Stands in for the filesystem under a spool, as `spool._write_atomic`.

    A file larger than `max_file_size` fails with EFBIG (a file size limit); a write that
    would take the files in the spool folder past `capacity` bytes fails with ENOSPC. Like
    the kernel, a failed write leaves what it managed to write in the temp file.
    """

    def __init__(self, capacity: int = 10**12, max_file_size: int = 10**12) -> None:
        self.capacity = capacity
        self.max_file_size = max_file_size
        self.failures: Counter[int] = Counter()
        self._write_atomic = spool_module._write_atomic

    def __call__(self, path: Path, data: bytes) -> None:
        used = sum(p.stat().st_size for p in path.parent.iterdir() if p.is_file())
        if len(data) > self.max_file_size:
            self._fail(path, data[: self.max_file_size], errno.EFBIG)
        if used + len(data) > self.capacity:
            self._fail(path, data[: max(0, self.capacity - used)], errno.ENOSPC)
        self._write_atomic(path, data)

    def _fail(self, path: Path, written: bytes, code: int) -> None:
        self.failures[code] += 1
        path.with_name(path.name + ".tmp").write_bytes(written)
        raise OSError(code, os.strerror(code), str(path))


def item_size(tmp_path: Path) -> int:
    probe = Spool(tmp_path / "probe", max_bytes=1_000_000)
    probe.submit(make_event(0, payload=payload(0)))
    return probe.bytes_used


def test_a_full_disk_evicts_oldest_motion_then_oldest_faces_to_keep_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = item_size(tmp_path)
    disk = SmallDisk(capacity=4 * size + size // 2)  # 4 items; the byte cap is far away
    monkeypatch.setattr(spool_module, "_write_atomic", disk)
    spool = Spool(tmp_path / "spool", max_bytes=100 * size)

    def submit(n: int, kind: EventKind) -> None:
        spool.submit(make_event(n, kind=kind, payload=payload(n)))

    def held() -> list[str]:
        return [f"{item.kind}{item.key.split('/t')[-1][3:5]}" for item in spool.pending()]

    submit(1, "face")
    submit(2, "motion")
    submit(3, "face")
    submit(4, "motion")
    assert held() == ["face01", "motion02", "face03", "motion04"]
    assert not disk.failures
    submit(5, "face")  # no space: the oldest motion goes
    assert held() == ["face01", "face03", "motion04", "face05"]
    submit(6, "face")  # the next motion goes
    assert held() == ["face01", "face03", "face05", "face06"]
    submit(7, "face")  # no motion left: the oldest face goes
    assert held() == ["face03", "face05", "face06", "face07"]
    submit(8, "motion")  # a new motion never pushes out a face: it is dropped itself
    assert held() == ["face03", "face05", "face06", "face07"]

    assert disk.failures[errno.ENOSPC] >= 4
    assert spool.disk_full_drops == {"motion": 3, "face": 1}
    assert spool.stats()["disk_full_drops_motion"] == 3
    assert spool.stats()["disk_full_drops_face"] == 1
    assert spool.evicted == {}  # the byte cap was never reached
    assert spool.bytes_used == on_disk_bytes(tmp_path / "spool")
    assert len(files(tmp_path / "spool")) == 8  # no temp file left behind
    assert len(Spool(tmp_path / "spool", max_bytes=100 * size)) == 4


def test_a_file_too_large_for_the_disk_drops_only_that_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "_write_atomic", SmallDisk(max_file_size=2 * PAYLOAD))
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.submit(make_event(1, kind="motion", payload=payload(1)))
    spool.submit(make_event(2, payload=b"\xff\xd8" + b"x" * (3 * PAYLOAD)))  # over the limit
    spool.submit(make_event(3, payload=payload(3)))
    # Making room cannot help a file that is too large: the others stay.
    assert [item.key[-14:] for item in spool.pending()] == ["t00001-001.jpg", "t00003-003.jpg"]
    assert spool.disk_full_drops == {"face": 1}
    assert len(files(tmp_path)) == 4


def test_a_full_disk_is_one_clear_error_not_one_per_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    size = item_size(tmp_path)
    monkeypatch.setattr(spool_module, "_write_atomic", SmallDisk(capacity=2 * size))
    spool = Spool(tmp_path / "spool", max_bytes=1_000_000)
    with caplog.at_level(logging.DEBUG, logger="edge_agent.spool"):
        for n in range(10):
            spool.submit(make_event(n, payload=payload(n)))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    message = errors[0].getMessage()
    assert "No space left on device" in message and str(tmp_path / "spool") in message
    assert not any(r.exc_info for r in caplog.records)  # no traceback
    assert len(spool) + sum(spool.disk_full_drops.values()) == 10


def test_other_write_errors_propagate_and_leave_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)

    def broken_disk(path: Path, data: bytes) -> None:
        path.with_name(path.name + ".tmp").write_bytes(data[:10])
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))

    monkeypatch.setattr(spool_module, "_write_atomic", broken_disk)
    with pytest.raises(OSError, match="Input/output error"):
        spool.submit(make_event(1))
    assert len(spool) == 0 and spool.bytes_used == 0
    assert files(tmp_path) == []


def test_concurrent_submitters_keep_the_books_straight(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=25 * (PAYLOAD + 1000))

    def worker(base: int) -> None:
        for n in range(base, base + 20):
            spool.submit(make_event(n, kind="motion" if n % 3 else "face", payload=payload(n)))

    threads = [threading.Thread(target=worker, args=(1000 * t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    kept = len(spool)
    assert kept + sum(spool.evicted.values()) == 80
    assert len(files(tmp_path)) == 2 * kept
    assert spool.bytes_used == on_disk_bytes(tmp_path) <= spool.max_bytes
    assert spool.evicted["motion"] > 0
    assert len({item.name for item in spool.pending()}) == kept


def test_set_aside_keeps_the_data_out_of_the_queue(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.submit(make_event(1))
    [item] = spool.pending()
    spool.set_aside(item, "EntityTooLarge")
    assert len(spool) == 0 and spool.bytes_used == 0
    rejected = tmp_path / "rejected"
    assert (rejected / f"{item.name}.jpg").read_bytes() == make_event(1).jpeg
    assert "EntityTooLarge" in (rejected / f"{item.name}.reason.txt").read_text()
    assert len(Spool(tmp_path, max_bytes=1_000_000)) == 0  # not resumed as pending


def test_set_aside_on_a_full_disk_still_moves_the_data_and_keeps_going(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Writing the reason needs room; moving the files (a rename) does not."""
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.submit(make_event(1))
    [item] = spool.pending()
    write_text = Path.write_text

    def no_room(path: Path, *args, **kwargs):
        if path.name.endswith(".reason.txt"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", no_room)
    with caplog.at_level(logging.WARNING, logger="edge_agent.spool"):
        spool.set_aside(item, "EntityTooLarge")
    assert len(spool) == 0 and spool.rejected == 1
    rejected = tmp_path / "rejected"
    assert (rejected / f"{item.name}.jpg").read_bytes() == make_event(1).jpeg
    assert not (rejected / f"{item.name}.reason.txt").exists()
    (warning,) = caplog.records
    assert "EntityTooLarge" in warning.getMessage() and warning.exc_info is None


def test_header_unsafe_metadata_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    with pytest.raises(ValueError, match="must be printable ASCII"):
        spool.submit(make_event(1, camera_id="Tür"))
    assert files(tmp_path) == []


def test_wait_for_items_wakes_on_submit(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=1_000_000)
    assert spool.wait_for_items(0.01) is False
    timer = threading.Timer(0.05, spool.submit, args=(make_event(1),))
    timer.start()
    assert spool.wait_for_items(5.0) is True
    timer.join()


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        Spool(tmp_path, max_bytes=0)
