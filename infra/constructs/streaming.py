"""Optional streaming path (context streaming=true).

One Kinesis Video Stream per camera, one face-search stream processor per video stream (a
processor reads exactly one stream) over the collection, and one encrypted Kinesis Data
Stream that all processors write to and analyze reads.

Every property of AWS::Rekognition::StreamProcessor's FaceSearchSettings is "Update
requires: Replacement", and CloudFormation cannot replace a custom-named resource under the
same name. So a processor's name carries a digest of those settings
(`Doorman-front-door-1a2b3c4d`): a new threshold gives a new name, and CloudFormation creates
the new processor before it deletes the old one. The CLI reads the names from the
StreamProcessorName output.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-rekognition-streamprocessor-facesearchsettings.html

Note: Rekognition streaming video has been closed to new AWS accounts since 2026-04-30;
accounts that used it in the last 12 months keep it. The default path does not need it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_rekognition as rekognition
from constructs import Construct

from core.records import video_stream_name
from infra.constructs.face_collection import FaceCollection
from infra.constructs.video_streams import add_video_streams

# Rekognition: stream processor names are [a-zA-Z0-9_.-]{1,128}.
# https://docs.aws.amazon.com/rekognition/latest/APIReference/API_StreamProcessor.html
MAX_PROCESSOR_NAME = 128


def processor_name(stack_name: str, camera: str, *, collection_id: str, threshold: float) -> str:
    """`{stack}-{camera}-{8 hex}`: the hex is a digest of the replacement-only settings."""
    settings = json.dumps(
        {"CollectionId": collection_id, "FaceMatchThreshold": threshold}, sort_keys=True
    )
    digest = hashlib.sha256(settings.encode()).hexdigest()[:8]
    name = f"{video_stream_name(stack_name, camera)}-{digest}"
    if len(name) > MAX_PROCESSOR_NAME:
        raise ValueError(
            f"stream processor name {name!r} is longer than {MAX_PROCESSOR_NAME} characters: "
            "use a shorter stack_name or camera id"
        )
    return name


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
        if not 0 <= face_match_threshold <= 100:
            # Rekognition's scale is 0-100; 0.80 would match almost anyone.
            raise ValueError(f"face_match_threshold {face_match_threshold} is not in 0-100")
        self._processor_names = {
            camera: processor_name(
                name_prefix,
                camera,
                collection_id=collection.collection_id,
                threshold=face_match_threshold,
            )
            for camera in cameras
        }
        self._stream_names = {camera: video_stream_name(name_prefix, camera) for camera in cameras}
        self.video_streams = add_video_streams(self, stack_name=name_prefix, cameras=cameras)
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
                name=self._processor_names[camera],
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
            # CloudFormation cannot see the collection id is a reference: say it explicitly
            # (on the construct, so it also holds when the collection is adopted, not created).
            processor.node.add_dependency(collection)
            processor.node.add_dependency(self.role)
            self.processors[camera] = processor

    @property
    def video_stream_names(self) -> list[str]:
        return [self._stream_names[camera] for camera in self.video_streams]

    @property
    def video_stream_arns(self) -> list[str]:
        return [stream.attr_arn for stream in self.video_streams.values()]

    @property
    def processor_names(self) -> list[str]:
        """In camera order, like `video_stream_names`."""
        return [self._processor_names[camera] for camera in self.processors]

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
