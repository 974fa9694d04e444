"""The images path (context streaming=images), for accounts opened after 2026-04-30.

One Kinesis video stream per camera. With kvs_image_delivery=generation, KVS image
generation on each (with the default, `poller`, infra/constructs/image_polling.py reads the
streams instead, and this construct only makes them): KVS cuts a JPEG every
`interval_seconds` from the fragments the producer tags with AWS_KINESISVIDEO_IMAGE_GENERATION
and writes it to the uploads bucket under `kvs/{camera}/`, where the uploads notification
hands it to analyze like an edge frame (the camera is the second part of the key). No stream
processor and no Kinesis data stream.

CloudFormation has no property for image generation, so a custom resource calls
UpdateImageGenerationConfiguration (ENABLED on create and update, DISABLED on delete).
- API: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_UpdateImageGenerationConfiguration.html
  and https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_ImageGenerationConfiguration.html
  (SamplingInterval in ms, at least 200; JPEGQuality 1-100).
- Guide: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/s3-real-time-image-create.html
  - KVS writes `{Uri path}/{AccountID}_{StreamName}_{ImageTimecode}_{RandomID}.jpg` (an
    AWS_KINESISVIDEO_IMAGE_PREFIX fragment tag would go first) with S3 metadata
    aws_kinesisvideo_producer_timestamp, _server_timestamp and _fragment_number;
  - the role that calls PutMedia needs s3:PutObject on the destination (`allow_uploader`);
  - generation starts about a minute after the configuration changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from core.records import video_stream_name
from infra.constructs.video_streams import add_video_streams
from infra.nag import acknowledge, default_policy, wildcard_resource

KVS_PREFIX = "kvs/"
JPEG_QUALITY = "80"  # KVS's own default


class ImageGeneration(Construct):
    """`video_streams` (camera -> KVS stream), each configured by `configurations`
    (camera -> custom resource) to deliver JPEGs to `s3://{uploads}/kvs/{camera}`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stack_name: str,
        cameras: Sequence[str],
        uploads_bucket: s3.IBucket,
        interval_seconds: float,
        generate_to_s3: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self._uploads_bucket = uploads_bucket
        self._stream_names = {camera: video_stream_name(stack_name, camera) for camera in cameras}
        self.video_streams = add_video_streams(self, stack_name=stack_name, cameras=cameras)
        self.configurations: dict[str, cr.AwsCustomResource] = {}
        if generate_to_s3:  # kvs_image_delivery=generation; else the poller (image_polling.py)
            self.configurations = {
                camera: self._configure(camera, stream, interval_seconds)
                for camera, stream in self.video_streams.items()
            }
            _acknowledge_provider(Stack.of(self))

    def _configure(
        self, camera: str, stream: kinesisvideo.CfnStream, interval_seconds: float
    ) -> cr.AwsCustomResource:
        """The custom resource that keeps image generation on for one camera's stream."""
        configuration = {
            "ImageSelectorType": "PRODUCER_TIMESTAMP",  # the camera's own clock
            "DestinationConfig": {
                "Uri": f"s3://{self._uploads_bucket.bucket_name}/{KVS_PREFIX}{camera}",
                "DestinationRegion": Stack.of(self).region,  # must be the stream's region
            },
            "SamplingInterval": round(interval_seconds * 1000),
            "Format": "JPEG",
            "FormatConfig": {"JPEGQuality": JPEG_QUALITY},
        }

        def call(status: str, **extra: Any) -> cr.AwsSdkCall:
            return cr.AwsSdkCall(
                service="KinesisVideo",
                action="updateImageGenerationConfiguration",
                parameters={
                    "StreamARN": stream.attr_arn,
                    "ImageGenerationConfiguration": {**configuration, "Status": status},
                },
                physical_resource_id=cr.PhysicalResourceId.of(self._stream_names[camera]),
                **extra,
            )

        return cr.AwsCustomResource(
            self,
            f"Images-{camera}",
            on_create=call("ENABLED"),
            on_update=call("ENABLED"),
            # The stream is deleted right after; if it is already gone, so is its setting.
            on_delete=call("DISABLED", ignore_error_codes_matching="ResourceNotFoundException"),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["kinesisvideo:UpdateImageGenerationConfiguration"],
                        resources=[stream.attr_arn],
                    )
                ]
            ),
            install_latest_aws_sdk=False,  # the runtime's SDK has the call; no npm at deploy
        )

    @property
    def video_stream_names(self) -> list[str]:
        return [self._stream_names[camera] for camera in self.video_streams]

    @property
    def video_stream_arns(self) -> list[str]:
        return [stream.attr_arn for stream in self.video_streams.values()]

    def allow_uploader(self, role: iam.Role, cameras: Sequence[str] | None = None) -> None:
        """KVS writes each image with the permissions of the role that called PutMedia (the
        edge role): s3:PutObject under kvs/{camera}/ of the device's own `cameras` only
        (None: the default device, which has every camera)."""
        prefixes = (
            [f"{KVS_PREFIX}{camera}/*" for camera in cameras] if cameras else [f"{KVS_PREFIX}*"]
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DeliverKvsImages",
                actions=["s3:PutObject"],
                resources=[self._uploads_bucket.arn_for_objects(prefix) for prefix in prefixes],
            )
        )
        for prefix in prefixes:
            acknowledge(
                default_policy(role),
                wildcard_resource(self._uploads_bucket, f"/{prefix}"),
                "KVS image generation writes kvs/{camera}/{account}_{stream}_{timecode}_{id}"
                ".jpg with the permissions of the PutMedia caller (the edge role): new keys "
                "under its cameras' kvs/ prefix.",
            )


def _acknowledge_provider(stack: Stack) -> None:
    """AwsCustomResource's singleton provider function (CDK's, one per stack)."""
    singleton_id = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
    provider = stack.node.find_child(singleton_id)
    role = provider.node.find_child("ServiceRole")
    acknowledge(
        role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole]",
        "CDK's AwsCustomResource provider (runs only during deploys) is created with the basic "
        "execution role for its logs; its role is not configurable.",
    )
