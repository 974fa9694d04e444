"""Optional streaming path (context streaming=true).

One Kinesis Video Stream per camera, one face-search stream processor per video stream (a
processor reads exactly one stream) over the collection, and one encrypted Kinesis Data
Stream that all processors write to and analyze reads.

Note: Rekognition streaming video has been closed to new AWS accounts since 2026-04-30;
accounts that used it in the last 12 months keep it. The default path does not need it.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_rekognition as rekognition
from constructs import Construct

from infra.constructs.face_collection import FaceCollection

VIDEO_RETENTION_HOURS = 24


class Streaming(Construct):
    """`video_streams` (camera -> KVS stream), `face_search_stream`, `processors` (camera ->
    stream processor) and `role`, the service role the processors run as."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        cameras: Sequence[str],
        collection: FaceCollection,
        face_match_threshold: float,
    ) -> None:
        super().__init__(scope, construct_id)
        # A camera's video stream and its stream processor share one name.
        self._names = {camera: f"{name_prefix}-{camera}" for camera in cameras}
        if not 0 <= face_match_threshold <= 100:
            # Rekognition's scale is 0-100; 0.80 would match almost anyone.
            raise ValueError(f"face_match_threshold {face_match_threshold} is not in 0-100")
        self.video_streams = {
            camera: kinesisvideo.CfnStream(
                self,
                f"Video-{camera}",
                name=self._names[camera],
                data_retention_in_hours=VIDEO_RETENTION_HOURS,
                media_type="video/h264",
            )
            for camera in cameras
        }
        self.face_search_stream = kinesis.Stream(
            self,
            "FaceSearchResults",
            shard_count=1,
            retention_period=Duration.hours(24),
            # AWS managed key (aws/kinesis): no key policy to keep in step with Rekognition.
            encryption=kinesis.StreamEncryption.MANAGED,
            # Match results in transit (24 h): a retained shard would bill on after destroy.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = self._service_role()
        self.processors = {}
        for camera, video in self.video_streams.items():
            processor = rekognition.CfnStreamProcessor(
                self,
                f"Processor-{camera}",
                name=self._names[camera],
                role_arn=self.role.role_arn,
                kinesis_video_stream=rekognition.CfnStreamProcessor.KinesisVideoStreamProperty(
                    arn=video.attr_arn
                ),
                kinesis_data_stream=rekognition.CfnStreamProcessor.KinesisDataStreamProperty(
                    arn=self.face_search_stream.stream_arn
                ),
                face_search_settings=rekognition.CfnStreamProcessor.FaceSearchSettingsProperty(
                    collection_id=collection.collection_id,
                    face_match_threshold=face_match_threshold,
                ),
            )
            # CloudFormation cannot see the collection id is a reference: say it explicitly.
            processor.add_resource_dependency(collection.resource)
            processor.node.add_dependency(self.role)
            self.processors[camera] = processor

    @property
    def video_stream_names(self) -> list[str]:
        return [self._names[camera] for camera in self.video_streams]

    @property
    def video_stream_arns(self) -> list[str]:
        return [stream.attr_arn for stream in self.video_streams.values()]

    @property
    def processor_names(self) -> list[str]:
        return [self._names[camera] for camera in self.processors]

    def processor_command(self, verb: str) -> str:
        """The AWS CLI line that starts or stops every processor (`verb`: start | stop)."""
        region = Stack.of(self).region
        return " && ".join(
            f"aws rekognition {verb}-stream-processor --name {name} --region {region}"
            for name in self.processor_names
        )

    def _service_role(self) -> iam.Role:
        """Rekognition may read exactly these video streams and write exactly this stream."""
        account = Stack.of(self).account
        role = iam.Role(
            self,
            "RekognitionRole",
            description="Rekognition face-search stream processors of this stack",
            assumed_by=iam.ServicePrincipal(
                "rekognition.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            ),
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kinesisvideo:GetDataEndpoint", "kinesisvideo:GetMedia"],
                resources=self.video_stream_arns,
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kinesis:PutRecord", "kinesis:PutRecords"],
                resources=[self.face_search_stream.stream_arn],
            )
        )
        return role
