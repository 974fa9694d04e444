"""The images poller (streaming=images): each camera's new video, as JPEGs under kvs/.

Every pass reads, per camera, the video since the last pass (core.kvs_polling.next_window),
asks KVS for one image per `interval`, and stores each image once under its deterministic
key, where the uploads notification hands it to analyze. A camera whose stream can't be read
keeps its cursor, so its video is read on a later pass (up to core.kvs_polling.MAX_WINDOW
back); the other cameras are not held up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from adapters.video_archive import ArchivedImage, ArchiveUnavailable
from core.kvs_polling import (
    next_window,
    polled_image_key,
    polled_image_metadata,
)
from core.records import parse_time
from functions.kvs_images.ports import ImageArchive, ImageStore, ReadCursors

logger = logging.getLogger(__name__)
# The handler stops polling this long before the function's timeout, so the last pass
# always finishes (infra/constructs/image_polling.py sets the timeout with room for it).
FINAL_PASS_MILLIS = 15_000


@dataclass
class PollReport:
    stored: int = 0  # new images under kvs/
    already_stored: int = 0  # read again (an overlapping or retried pass): nothing written
    without_image: int = 0  # moments KVS had no image for (no media, a media error)
    unreadable: list[str] = field(default_factory=list)  # streams that failed this pass

    def add(self, other: PollReport) -> None:
        self.stored += other.stored
        self.already_stored += other.already_stored
        self.without_image += other.without_image
        self.unreadable += [name for name in other.unreadable if name not in self.unreadable]


class ImagePoller:
    def __init__(
        self,
        *,
        archive: ImageArchive,
        store: ImageStore,
        cursors: ReadCursors,
        bucket: str,
        stream_cameras: Mapping[str, str],
        interval: timedelta,
    ) -> None:
        self._archive = archive
        self._store = store
        self._cursors = cursors
        self._bucket = bucket
        self._stream_cameras = dict(sorted(stream_cameras.items()))
        self._interval = interval

    def poll(self, now: datetime) -> PollReport:
        """One pass over every camera's stream."""
        report = PollReport()
        for stream_name, camera_id in self._stream_cameras.items():
            self._poll_stream(stream_name, camera_id, now, report)
        return report

    def run(
        self,
        *,
        keep_going: Callable[[], bool],
        clock: Callable[[], datetime],
        wait: Callable[[float], None],
    ) -> PollReport:
        """Passes one `interval` apart while `keep_going()`; the totals."""
        total = PollReport()
        while True:
            started = clock()
            total.add(self.poll(started))
            if not keep_going():
                return total
            elapsed = (clock() - started).total_seconds()
            wait(max(0.0, self._interval.total_seconds() - elapsed))

    def _poll_stream(
        self, stream_name: str, camera_id: str, now: datetime, report: PollReport
    ) -> None:
        cursor = parse_time(self._cursors.kvs_cursor(camera_id))
        window = next_window(cursor, now, interval=self._interval)
        if window is None:
            return
        try:
            for image in self._archive.images(stream_name, window, self._interval):
                self._store_image(camera_id, stream_name, image, report)
        except ArchiveUnavailable as exc:
            logger.warning("video stream unreadable, kept for the next pass: %s", exc)
            report.unreadable.append(stream_name)
            return
        self._cursors.set_kvs_cursor(camera_id, window.end.isoformat())

    def _store_image(
        self, camera_id: str, stream_name: str, image: ArchivedImage, report: PollReport
    ) -> None:
        if image.jpeg is None:
            report.without_image += 1
            return
        stored = self._store.put_new(
            self._bucket,
            polled_image_key(camera_id, stream_name, image.timestamp),
            image.jpeg,
            content_type="image/jpeg",
            metadata=polled_image_metadata(image.timestamp),
        )
        if stored:
            report.stored += 1
        else:
            report.already_stored += 1
