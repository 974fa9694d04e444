"""Kinesis Video Streams' archive: the images of one stream over a stretch of time.

GetImages is served by a per-stream data endpoint that GetDataEndpoint (APIName GET_IMAGES)
names (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetImages.html,
"You must first call the GetDataEndpoint API"). Each image comes back base64-encoded, or
with an Error (NO_MEDIA: nothing was recorded at that moment; MEDIA_ERROR: the media there
cannot give an image).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from core.kvs_polling import ImageWindow

if TYPE_CHECKING:
    from mypy_boto3_kinesis_video_archived_media import KinesisVideoArchivedMediaClient
    from mypy_boto3_kinesisvideo import KinesisVideoClient

JPEG_QUALITY = "80"  # KVS's own default
PAGE_SIZE = 100  # GetImages' MaxResults upper bound


class ArchiveUnavailable(Exception):
    """The stream could not be read now (missing, not active, not permitted, or still
    failing after botocore's retries); the poller tries again on its next pass."""


@dataclass(frozen=True)
class ArchivedImage:
    timestamp: datetime
    jpeg: bytes | None  # None when KVS gave no image for this moment
    error: str = ""  # KVS's Error (NO_MEDIA, MEDIA_ERROR), or why the content was refused


class VideoArchive:
    """GetImages over named streams. `media_client(endpoint)` makes the archived-media
    client for a data endpoint; `fixed_endpoint` replaces GetDataEndpoint (localcloud's
    simulated archive, which moto lacks)."""

    def __init__(
        self,
        kinesisvideo: KinesisVideoClient,
        media_client: Callable[[str], KinesisVideoArchivedMediaClient],
        fixed_endpoint: str = "",
    ) -> None:
        self._kinesisvideo = kinesisvideo
        self._media_client = media_client
        self._fixed_endpoint = fixed_endpoint
        self._clients: dict[str, KinesisVideoArchivedMediaClient] = {}

    def images(
        self, stream_name: str, window: ImageWindow, interval: timedelta
    ) -> Iterator[ArchivedImage]:
        """One image per `interval` from window.start up to window.end, by the producer's
        timestamps (the camera's clock, as analyze reads `kvs/` images)."""
        try:
            pages = (
                self._client(stream_name)
                .get_paginator("get_images")
                .paginate(
                    StreamName=stream_name,
                    ImageSelectorType="PRODUCER_TIMESTAMP",
                    StartTimestamp=window.start,
                    EndTimestamp=window.end,
                    SamplingInterval=round(interval.total_seconds() * 1000),
                    Format="JPEG",
                    FormatConfig={"JPEGQuality": JPEG_QUALITY},
                    PaginationConfig={"PageSize": PAGE_SIZE},
                )
            )
            for page in pages:
                for image in page.get("Images", []):
                    yield _archived_image(
                        image["TimeStamp"], image.get("ImageContent"), image.get("Error", "")
                    )
        except (ClientError, BotoCoreError) as exc:
            self._clients.pop(stream_name, None)  # the endpoint may have moved
            raise ArchiveUnavailable(f"{stream_name}: {exc}") from exc

    def _client(self, stream_name: str) -> KinesisVideoArchivedMediaClient:
        if stream_name not in self._clients:
            endpoint = (
                self._fixed_endpoint
                or self._kinesisvideo.get_data_endpoint(
                    StreamName=stream_name, APIName="GET_IMAGES"
                )["DataEndpoint"]
            )
            self._clients[stream_name] = self._media_client(endpoint)
        return self._clients[stream_name]


def _archived_image(timestamp: datetime, content: str | None, error: str) -> ArchivedImage:
    if error or not content:
        return ArchivedImage(timestamp, None, error or "no image content")
    try:
        return ArchivedImage(timestamp, base64.b64decode(content, validate=True))
    except (binascii.Error, ValueError):
        return ArchivedImage(timestamp, None, "image content is not base64")
