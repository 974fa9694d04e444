"""What the images poller needs from outside (adapters.video_archive.VideoArchive,
adapters.storage.Storage, adapters.tables.StateTable)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Protocol

from adapters.video_archive import ArchivedImage
from core.kvs_polling import ImageWindow


class ImageArchive(Protocol):
    def images(
        self, stream_name: str, window: ImageWindow, interval: timedelta
    ) -> Iterator[ArchivedImage]:
        """Raises adapters.video_archive.ArchiveUnavailable when the stream can't be read."""
        ...


class ImageStore(Protocol):
    def put_new(
        self, bucket: str, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> bool:
        """False (and nothing written) when `key` already exists."""
        ...


class ReadCursors(Protocol):
    def kvs_cursor(self, camera_id: str) -> str: ...

    def set_kvs_cursor(self, camera_id: str, read_until: str) -> None: ...
