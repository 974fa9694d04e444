"""The role an edge device assumes: upload frames, read the gallery, push its video."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge, default_policy, wildcard_resource


class EdgeAccess(Construct):
    """`role` may only put objects under `frames/` of the uploads bucket, read the faces
    bucket (gallery sync) and, with streaming, put media into its own video streams.

    It trusts this account: give the device's IAM identity `sts:AssumeRole` on it and use a
    `role_arn` profile in ~/.aws/config, so no key ever sits in Doorman's config.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        uploads_bucket: s3.IBucket,
        faces_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            description="Doorman edge agent: upload frames, read the face gallery",
            assumed_by=iam.AccountRootPrincipal(),
            max_session_duration=Duration.hours(12),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="UploadFrames",
                actions=["s3:PutObject"],
                resources=[uploads_bucket.arn_for_objects("frames/*")],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ListGallery", actions=["s3:ListBucket"], resources=[faces_bucket.bucket_arn]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadGallery",
                actions=["s3:GetObject", "s3:GetObjectTagging"],
                resources=[faces_bucket.arn_for_objects("*")],
            )
        )
        acknowledge(
            default_policy(self.role),
            wildcard_resource(uploads_bucket, "/frames/*"),
            "The edge writes new frame keys (frames/{camera}/{date}/...): only that prefix.",
        )
        acknowledge(
            default_policy(self.role),
            wildcard_resource(faces_bucket, "/*"),
            "Gallery sync reads every enrollment photo and its tags; read-only.",
        )

    def allow_video_streams(self, stream_arns: Sequence[str]) -> None:
        """Streaming path: `doorman push` may put media into exactly these streams."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="PushVideo",
                actions=[
                    "kinesisvideo:PutMedia",
                    "kinesisvideo:DescribeStream",
                    "kinesisvideo:GetDataEndpoint",
                ],
                resources=list(stream_arns),
            )
        )
