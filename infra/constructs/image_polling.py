"""The images path's default delivery (streaming=images, kvs_image_delivery=poller): a
function that every minute reads each camera's new video with KVS GetImages and stores one
JPEG per `interval_seconds` under `kvs/{camera}/`, where the uploads notification hands it
to analyze (functions/kvs_images; why a poller: core/kvs_polling.py).

- Schedule: an EventBridge rule, rate(1 minute), the finest rate it offers
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html);
  each run polls for `poll_seconds`, so images flow every interval, not once a minute.
  The target makes no retries: the next run reads whatever a failed one left (the cursor).
- IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisvideostreams.html):
  kinesisvideo:GetDataEndpoint and kinesisvideo:GetImages on the camera streams only;
  s3:PutObject under kvs/{camera}/ of the stack's cameras; GetItem/PutItem on the State
  table (the read cursors).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_s3 as s3
from constructs import Construct

from core.records import KVS_PREFIX
from infra.constructs.function import DoormanFunction, FunctionDefaults
from infra.grants import grant_objects

# One run polls this long; the function's timeout leaves room for its last pass.
POLL_SECONDS = 50
TIMEOUT = Duration.seconds(75)


class ImagePolling(Construct):
    """`handler` (the poller function) and `schedule` (the rule that runs it each minute)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        video_streams: Mapping[str, kinesisvideo.CfnStream],
        stream_names: Mapping[str, str],
        uploads_bucket: s3.IBucket,
        state_table: dynamodb.ITable,
        interval_seconds: float,
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = DoormanFunction(
            self,
            "Poller",
            package="kvs_images",
            description="Each camera's new video -> one JPEG per interval under kvs/",
            environment={
                "UPLOADS_BUCKET": uploads_bucket.bucket_name,
                "STATE_TABLE": state_table.table_name,
                "STREAM_CAMERAS": json.dumps(
                    {stream_names[camera]: camera for camera in video_streams}, sort_keys=True
                ),
                "IMAGE_INTERVAL_SECONDS": str(interval_seconds),
                "POLL_SECONDS": str(POLL_SECONDS),
            },
            timeout=TIMEOUT,
            memory_size=256,
            defaults=defaults,
        )
        self.schedule = events.Rule(
            self,
            "EveryMinute",
            description="Doorman: read each camera's new video into kvs/ images",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            targets=[targets.LambdaFunction(self.handler.function, retry_attempts=0)],
        )
        self._grant(video_streams, uploads_bucket, state_table)

    def _grant(
        self,
        video_streams: Mapping[str, kinesisvideo.CfnStream],
        uploads_bucket: s3.IBucket,
        state_table: dynamodb.ITable,
    ) -> None:
        role = self.handler.role
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadVideoImages",
                actions=["kinesisvideo:GetDataEndpoint", "kinesisvideo:GetImages"],
                resources=[stream.attr_arn for stream in video_streams.values()],
            )
        )
        grant_objects(
            role,
            uploads_bucket,
            actions=["s3:PutObject"],
            prefixes=[f"{KVS_PREFIX}{camera}/" for camera in video_streams],
            reason="The poller writes kvs/{camera}/{stream}_{timecode}_getimages.jpg, one new "
            "key per image, under the stack's cameras' kvs/ prefixes only.",
        )
        state_table.grant(role, "dynamodb:GetItem", "dynamodb:PutItem")
