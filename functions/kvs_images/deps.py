"""The images poller's wiring: settings at cold start, clients and the poller on first use."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cached_property

from adapters.clients import aws_client
from adapters.storage import Storage
from adapters.tables import StateTable
from adapters.video_archive import VideoArchive
from core.settings import KvsImagesSettings
from functions.kvs_images.logic import ImagePoller

# boto3's own variable for the archived-media endpoint (its service id, upper-cased). Lambda
# never sets it, so there GetDataEndpoint names each stream's endpoint; localcloud points it
# at its simulated archive (moto has no GetImages).
ARCHIVE_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_KINESIS_VIDEO_ARCHIVED_MEDIA"


class KvsImagesDeps:
    def __init__(self) -> None:
        self.settings = KvsImagesSettings()

    @cached_property
    def poller(self) -> ImagePoller:
        settings = self.settings
        archive = VideoArchive(
            aws_client("kinesisvideo"),
            lambda endpoint: aws_client("kinesis-video-archived-media", endpoint_url=endpoint),
            fixed_endpoint=os.environ.get(ARCHIVE_ENDPOINT_VARIABLE, ""),
        )
        return ImagePoller(
            archive=archive,
            store=Storage(aws_client("s3")),
            cursors=StateTable(aws_client("dynamodb"), settings.state_table),
            bucket=settings.uploads_bucket,
            stream_cameras=settings.stream_cameras,
            interval=timedelta(seconds=settings.image_interval_seconds),
        )
