"""Which video the images poller reads next, and how it stores what it gets (pure logic, with
in-memory ports; the HTTP path is in tests/integration/test_kvs_images.py)."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from adapters.video_archive import ArchivedImage, ArchiveUnavailable, _archived_image
from core.kvs_polling import (
    INGEST_LAG,
    MAX_WINDOW,
    ImageWindow,
    next_window,
    polled_image_key,
    polled_image_metadata,
)
from core.records import frame_meta, kvs_image_timecode
from functions.kvs_images.logic import ImagePoller

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
TWO_SECONDS = timedelta(seconds=2)


def test_the_first_read_covers_one_interval_ending_before_the_ingest_lag() -> None:
    window = next_window(None, NOW, interval=TWO_SECONDS)
    assert window == ImageWindow(NOW - INGEST_LAG - TWO_SECONDS, NOW - INGEST_LAG)


def test_a_read_starts_where_the_last_one_ended() -> None:
    last_end = NOW - timedelta(seconds=20)
    window = next_window(last_end, NOW, interval=TWO_SECONDS)
    assert window is not None and window.start == last_end and window.end == NOW - INGEST_LAG


def test_nothing_is_read_until_a_whole_interval_has_accumulated() -> None:
    assert next_window(NOW - INGEST_LAG - timedelta(seconds=1), NOW, interval=TWO_SECONDS) is None


def test_a_poller_that_was_down_catches_up_at_most_getimages_range() -> None:
    window = next_window(NOW - timedelta(hours=3), NOW, interval=TWO_SECONDS)
    assert window is not None and window.end - window.start == MAX_WINDOW


def test_a_polled_image_reads_like_a_generated_one() -> None:
    """analyze takes the camera from the key and the time from KVS's metadata."""
    moment = datetime(2026, 11, 29, 11, 59, 1, 250000, tzinfo=UTC)
    key = polled_image_key("front-door", "Doorman-front-door", moment)
    assert key == "kvs/front-door/Doorman-front-door_1795953541250_getimages.jpg"
    assert kvs_image_timecode(key) == "1795953541250"
    meta = frame_meta(key, polled_image_metadata(moment), event_time=NOW)
    assert meta.camera_id == "front-door" and meta.captured_at == moment
    assert meta.captured_at_refused == ""


def test_content_that_is_not_base64_is_no_image() -> None:
    assert _archived_image(NOW, "not base64!", "").jpeg is None
    assert _archived_image(NOW, None, "NO_MEDIA").error == "NO_MEDIA"
    image = _archived_image(NOW, base64.b64encode(b"\xff\xd8jpeg").decode(), "")
    assert image.jpeg == b"\xff\xd8jpeg"


class FakeArchive:
    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.windows: list[tuple[str, ImageWindow]] = []

    def images(
        self, stream_name: str, window: ImageWindow, interval: timedelta
    ) -> Iterator[ArchivedImage]:
        self.windows.append((stream_name, window))
        if stream_name in self.failing:
            raise ArchiveUnavailable(stream_name)
        yield ArchivedImage(window.start, b"jpeg-1")
        yield ArchivedImage(window.start + interval, None, "NO_MEDIA")
        yield ArchivedImage(window.end, b"jpeg-2")


class FakeStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}

    def put_new(
        self, bucket: str, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> bool:
        if key in self.objects:
            return False
        self.objects[key] = (data, dict(metadata))
        return True


class FakeCursors(dict[str, str]):
    def kvs_cursor(self, camera_id: str) -> str:
        return self.get(camera_id, "")

    def set_kvs_cursor(self, camera_id: str, read_until: str) -> None:
        self[camera_id] = read_until


def poller(archive: FakeArchive, store: FakeStore, cursors: FakeCursors) -> ImagePoller:
    return ImagePoller(
        archive=archive,
        store=store,
        cursors=cursors,
        bucket="uploads",
        stream_cameras={"Dm-garden": "garden", "Dm-front": "front"},
        interval=TWO_SECONDS,
    )


def test_a_failing_stream_keeps_its_cursor_and_the_others_go_on() -> None:
    archive, store, cursors = FakeArchive(failing={"Dm-garden"}), FakeStore(), FakeCursors()
    report = poller(archive, store, cursors).poll(NOW)
    assert report.unreadable == ["Dm-garden"]
    assert report.stored == 2 and report.without_image == 1
    assert "garden" not in cursors
    assert cursors["front"] == (NOW - INGEST_LAG).isoformat()
    assert all(key.startswith("kvs/front/Dm-front_") for key in store.objects)


def test_a_window_read_again_stores_nothing_new() -> None:
    archive, store, cursors = FakeArchive(failing=set()), FakeStore(), FakeCursors()
    first = poller(archive, store, cursors).poll(NOW)
    cursors.clear()
    second = poller(archive, store, cursors).poll(NOW)
    assert first.stored == 4 and second.stored == 0 and second.already_stored == 4


def test_run_polls_one_interval_apart_until_told_to_stop() -> None:
    archive, store, cursors = FakeArchive(failing=set()), FakeStore(), FakeCursors()
    moments = iter(NOW + timedelta(seconds=s) for s in (0, 0.5, 2, 2.25, 4, 4.5))
    waits: list[float] = []
    passes = iter([True, True, False])
    total = poller(archive, store, cursors).run(
        keep_going=lambda: next(passes), clock=lambda: next(moments), wait=waits.append
    )
    assert waits == [1.5, 1.75]
    assert [name for name, _ in archive.windows].count("Dm-front") == 3
    assert total.stored == 4 + 2 + 2  # each later pass: a new end image, the start already stored


@pytest.mark.parametrize("seconds", [0.1, 61])
def test_the_interval_setting_is_bounded(seconds: float, monkeypatch) -> None:
    from pydantic import ValidationError

    from core.settings import KvsImagesSettings

    monkeypatch.setenv("UPLOADS_BUCKET", "u")
    monkeypatch.setenv("STATE_TABLE", "s")
    monkeypatch.setenv("IMAGE_INTERVAL_SECONDS", str(seconds))
    with pytest.raises(ValidationError, match="image_interval_seconds"):
        KvsImagesSettings()
