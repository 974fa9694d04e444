"""The Kinesis video streams of the two streaming modes: one per camera, named
`{stack_name}-{camera}` (core.records.video_stream_name), which the edge's `doorman push`
fills. Stream processors (streaming=true) and image generation (streaming=images) read them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_kinesisvideo as kinesisvideo
from constructs import Construct

from core.records import video_stream_name

# Image generation needs retained media (UpdateImageGenerationConfiguration fails with
# NoDataRetentionException otherwise); a day is plenty for either reader.
VIDEO_RETENTION_HOURS = 24


def add_video_streams(
    scope: Construct, *, stack_name: str, cameras: Sequence[str]
) -> dict[str, kinesisvideo.CfnStream]:
    """camera -> its video stream, created in `scope` as `Video-{camera}` (the construct ids
    are kept stable: a custom-named stream cannot be replaced in place)."""
    return {
        camera: kinesisvideo.CfnStream(
            scope,
            f"Video-{camera}",
            name=video_stream_name(stack_name, camera),
            data_retention_in_hours=VIDEO_RETENTION_HOURS,
            media_type="video/h264",
        )
        for camera in cameras
    }
