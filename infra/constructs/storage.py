"""The three Doorman buckets (uploads, faces, audit) plus the bucket their access logs go to."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge

CLASSIFICATION_TAG = "classification"
FRAMES_PREFIX = "frames/"
# What analyze writes to the audit bucket per frame: the processed JSON, the raw responses.
# blurred/: the privacy_blur copies of frames (core/blur.py), kept as long as their events.
AUDIT_EXPIRING_PREFIXES = ("processed/", "rekognition/", "blurred/")


class Storage(Construct):
    """Private, encrypted, TLS-only buckets; uploads and audit expire by lifecycle rules.

    Frames are tagged `classification=alarm|quiet|rejected` by analyze. Quiet and rejected
    frames (not an image, corrupt, too small or too large: nothing to keep) go after
    `quiet_retention_days`, everything else under `frames/` and `kvs/` after
    `frame_retention_days` (S3 applies the shortest matching expiration).

    Frames are write-once: the uploads bucket denies, to every principal, a PutObject under
    `frames/` that lacks `If-None-Match` (condition key `s3:if-none-match`), so a frame can be
    created but never replaced (S3 answers 412 when the key exists). Multipart uploads and
    CopyObject into `frames/` are refused too (CreateMultipartUpload and CopyObject without
    the header are PutObject requests without it); the edge sends single PUTs only. AWS:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        frame_retention_days: int,
        quiet_retention_days: int,
        audit_retention_days: int,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._removal_policy = removal_policy

        self.access_logs = self._bucket(
            "AccessLogs",
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(90))],
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the server access log bucket; logging it into itself would loop.",
        )

        frame_days = Duration.days(frame_retention_days)
        self.uploads = self._bucket(
            "Uploads",
            server_access_logs_prefix="uploads/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-quiet-frames",
                    tag_filters={CLASSIFICATION_TAG: "quiet"},
                    expiration=Duration.days(quiet_retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-rejected-frames",
                    tag_filters={CLASSIFICATION_TAG: "rejected"},
                    expiration=Duration.days(quiet_retention_days),
                ),
                s3.LifecycleRule(
                    id="expire-alarm-frames",
                    tag_filters={CLASSIFICATION_TAG: "alarm"},
                    expiration=frame_days,
                ),
                s3.LifecycleRule(id="expire-frames", prefix="frames/", expiration=frame_days),
                s3.LifecycleRule(id="expire-kvs-images", prefix="kvs/", expiration=frame_days),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
        )
        self.uploads.add_to_resource_policy(
            iam.PolicyStatement(
                sid="FramesWriteOnce",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self.uploads.arn_for_objects(f"{FRAMES_PREFIX}*")],
                conditions={"Null": {"s3:if-none-match": "true"}},
            )
        )
        self.faces = self._bucket(
            "Faces",
            server_access_logs_prefix="faces/",
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-photo-versions",
                    noncurrent_version_expiration=Duration.days(30),
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        self.audit = self._bucket(
            "Audit",
            server_access_logs_prefix="audit/",
            # Per prefix: the crops of remembered strangers (`strangers/`) must live as long
            # as the stranger does (until `stranger_retention_days` after the last
            # sighting), so the expire_strangers function deletes them, not the lifecycle.
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=f"expire-audit-{prefix.rstrip('/')}",
                    prefix=prefix,
                    expiration=Duration.days(audit_retention_days),
                )
                for prefix in AUDIT_EXPIRING_PREFIXES
            ],
        )

    def _bucket(self, construct_id: str, **props: Any) -> s3.Bucket:
        destroy = self._removal_policy == RemovalPolicy.DESTROY
        if "server_access_logs_prefix" in props:
            props["server_access_logs_bucket"] = self.access_logs
        return s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=self._removal_policy,
            auto_delete_objects=destroy,
            **props,
        )
