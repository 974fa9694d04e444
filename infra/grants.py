"""Grants the L2 constructs do not offer at the precision Doorman wants.

`Bucket.grant_read` hands out `s3:GetObject*`, `s3:List*` and friends; functions here get the
exact object actions under the exact prefixes they touch, and each wildcard-by-prefix
resource is acknowledged for cdk-nag on that role alone, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm

from infra.nag import acknowledge, default_policy, wildcard_resource

# Rekognition APIs that take no resource (they see an image, not a collection): IAM only
# accepts "*" for them. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html
REKOGNITION_WITHOUT_RESOURCES = ("rekognition:DetectFaces", "rekognition:DetectLabels")
# Powertools' DynamoDBPersistenceLayer: get_item, put_item, update_item, delete_item.
IDEMPOTENCY_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


def grant_objects(
    role: iam.Role,
    bucket: s3.IBucket,
    *,
    actions: Sequence[str],
    prefixes: Sequence[str],
    reason: str,
) -> None:
    """Allow `actions` on objects under each prefix (`"frames/"`, or `""` for the bucket)."""
    role.add_to_policy(
        iam.PolicyStatement(
            actions=list(actions),
            resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
        )
    )
    for prefix in prefixes:
        acknowledge(
            default_policy(role),
            wildcard_resource(bucket, f"/{prefix}*"),
            reason,
        )


def grant_parameter(role: iam.Role, parameter: ssm.IParameter) -> None:
    """`ssm:GetParameter` on one parameter: all `Parameters.get` calls (not the four
    actions of `grant_read`)."""
    role.add_to_policy(
        iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter.parameter_arn])
    )


def grant_listing(
    role: iam.Role, bucket: s3.IBucket, *, prefixes: Sequence[str] | None = None
) -> None:
    """`s3:ListBucket` on the bucket, so reading a missing object gives 404 (NoSuchKey/NotFound),
    not 403: without it a deleted photo or an expired frame looks like a permission error.

    With `prefixes`, explicit listings are limited to them (`StringLikeIfExists` on
    `s3:prefix`): AWS does not document that the implicit check S3 makes for a missing
    object carries `s3:prefix`, and a plain `StringLike` would turn those 404s back into 403s
    if it does not.
    """
    conditions = None
    if prefixes:
        patterns = [f"{prefix}*" for prefix in prefixes]
        conditions = {"StringLikeIfExists": {"s3:prefix": patterns}}
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=[bucket.bucket_arn], conditions=conditions
        )
    )


def grant_rekognition(
    role: iam.Role,
    collection_arn: str,
    *,
    collection_actions: Sequence[str],
    image_actions: Sequence[str] = (),
) -> None:
    """Collection APIs on the one collection; image-only APIs on "*" (no resource type)."""
    role.add_to_policy(
        iam.PolicyStatement(actions=list(collection_actions), resources=[collection_arn])
    )
    if image_actions:
        unknown = set(image_actions) - set(REKOGNITION_WITHOUT_RESOURCES)
        if unknown:
            raise ValueError(f"{sorted(unknown)} support resource-level permissions")
        # A policy of their own, so the '*' acknowledgement covers these statements only.
        images = iam.Policy(
            role,
            "RekognitionImageApis",
            statements=[iam.PolicyStatement(actions=list(image_actions), resources=["*"])],
            roles=[role],
        )
        acknowledge(
            images,
            "AwsSolutions-IAM5[Resource::*]",
            f"Image-only APIs ({', '.join(image_actions)}) read the image in the request, not "
            "a collection: IAM defines no resource type for them, so it only accepts '*'.",
        )
