"""The images path's poller (functions/kvs_images): which stretch of each camera's video to
ask KVS GetImages for next, and the key each image is stored under.

Why a poller: KVS image generation to S3 (UpdateImageGenerationConfiguration) only cuts
images from fragments that the producer tags AWS_KINESISVIDEO_IMAGE_GENERATION
(https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/s3-real-time-image-create.html:
"Kinesis Video Streams only generates images using fragments that have the image generation
tag", added with the Producer SDK's putKinesisVideoEventMetadata), and stock kvssink cannot
tag fragments (amazon-kinesis-video-streams-producer-sdk-cpp issue #880). GetImages needs no
tag: it extracts images from any archived H.264/H.265 media
(https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_reader_GetImages.html).

The poller stores each image the way image generation would, under
`kvs/{camera}/{stream}_{ImageTimecode}_getimages.jpg` with the
`aws_kinesisvideo_producer_timestamp` metadata, so analyze treats both alike
(core.records.frame_meta, kvs_image_timecode).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.records import KVS_PREFIX, KVS_PRODUCER_TIMESTAMP

# GetImages refuses a range longer than 300 s after StartTimestamp (IllegalArgumentException;
# API_reader_GetImages.html, EndTimestamp). It is also how far back a poller that was down
# catches up: older video is skipped, not analysed late.
MAX_WINDOW = timedelta(seconds=300)
# Media becomes readable once its fragment is persisted, a few seconds after PutMedia sent it
# (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/how-data.html, "Fragment").
# The poller asks only for video at least this old, so it never skips what is still in flight.
INGEST_LAG = timedelta(seconds=5)
# The smallest SamplingInterval GetImages accepts, 200 ms (5 images per second).
MIN_INTERVAL = timedelta(milliseconds=200)
POLLED_IMAGE_SUFFIX = "getimages"


@dataclass(frozen=True)
class ImageWindow:
    """[start, end) of one camera's video to extract images from."""

    start: datetime
    end: datetime


def next_window(
    cursor: datetime | None, now: datetime, *, interval: timedelta
) -> ImageWindow | None:
    """The video to read next, given where the last read ended (`cursor`): from the cursor
    (or one `interval` back on the first read) to `now` minus the ingest lag, never more than
    MAX_WINDOW; None while less than one interval has accumulated."""
    end = now - INGEST_LAG
    start = cursor if cursor is not None else end - interval
    start = max(start, end - MAX_WINDOW)
    if end - start < interval:
        return None
    return ImageWindow(start=start, end=end)


def epoch_millis_text(moment: datetime) -> str:
    """A time as KVS writes timecodes: whole epoch milliseconds, as text."""
    return str(int(moment.astimezone(UTC).timestamp() * 1000))


def polled_image_key(camera_id: str, stream_name: str, timestamp: datetime) -> str:
    """The deterministic key of the image at `timestamp`: one object per camera and moment,
    so a window read twice (an overlapping run, a retry) writes nothing new."""
    timecode = epoch_millis_text(timestamp)
    return f"{KVS_PREFIX}{camera_id}/{stream_name}_{timecode}_{POLLED_IMAGE_SUFFIX}.jpg"


def polled_image_metadata(timestamp: datetime) -> dict[str, str]:
    """The S3 metadata image generation writes, so analyze takes the camera's own clock."""
    return {KVS_PRODUCER_TIMESTAMP: epoch_millis_text(timestamp)}
