"""boto3 clients with standard retries. Endpoints come from AWS_ENDPOINT_URL[_<SERVICE>],
so the same code talks to AWS and to localcloud."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config

if TYPE_CHECKING:  # the stubs are a dev dependency; the Lambda runtime has no need of them
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kinesis_video_archived_media import KinesisVideoArchivedMediaClient
    from mypy_boto3_kinesisvideo import KinesisVideoClient
    from mypy_boto3_rekognition import RekognitionClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

DEFAULT_ATTEMPTS = 4
Service = Literal[
    "dynamodb",
    "kinesis-video-archived-media",
    "kinesisvideo",
    "rekognition",
    "s3",
    "ses",
    "sns",
    "sqs",
    "ssm",
]


@overload
def aws_client(service: Literal["dynamodb"], *, max_attempts: int = ...) -> DynamoDBClient: ...
@overload
def aws_client(
    service: Literal["kinesis-video-archived-media"],
    *,
    max_attempts: int = ...,
    endpoint_url: str | None = ...,
) -> KinesisVideoArchivedMediaClient: ...
@overload
def aws_client(
    service: Literal["kinesisvideo"], *, max_attempts: int = ...
) -> KinesisVideoClient: ...
@overload
def aws_client(
    service: Literal["rekognition"], *, max_attempts: int = ...
) -> RekognitionClient: ...
@overload
def aws_client(service: Literal["s3"], *, max_attempts: int = ...) -> S3Client: ...
@overload
def aws_client(service: Literal["ses"], *, max_attempts: int = ...) -> SESClient: ...
@overload
def aws_client(service: Literal["sns"], *, max_attempts: int = ...) -> SNSClient: ...
@overload
def aws_client(service: Literal["sqs"], *, max_attempts: int = ...) -> SQSClient: ...
@overload
def aws_client(service: Literal["ssm"], *, max_attempts: int = ...) -> SSMClient: ...


def aws_client(
    service: Service, *, max_attempts: int = DEFAULT_ATTEMPTS, endpoint_url: str | None = None
) -> Any:
    """A client of `service`; `endpoint_url` only for per-resource endpoints (KVS's
    GetDataEndpoint), everything else resolves its endpoint from the environment."""
    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=30,
        # SigV4 presigned URLs (notify's frame links); the other services ignore it.
        signature_version="s3v4" if service == "s3" else None,
    )
    return boto3.client(service, config=config, endpoint_url=endpoint_url)
