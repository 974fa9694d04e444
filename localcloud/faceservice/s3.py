"""Reads `S3Object` images from the S3 endpoint the face service is configured with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import ImageTooLargeException, InvalidS3ObjectException

if TYPE_CHECKING:  # the stubs are a dev dependency
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectRequestTypeDef, HeadObjectRequestTypeDef

# moto's documented placeholder keys, used only when the process has no credentials at all
# (the face service is a local tool and its S3 is moto). They grant nothing anywhere.
PLACEHOLDER_KEY = "testing"


class S3ObjectReader:
    """GetObject with a size check first, through the default credential chain."""

    def __init__(
        self, endpoint_url: str | None, region: str = "us-east-1", client: S3Client | None = None
    ) -> None:
        if client is None:
            session = boto3.session.Session()
            if session.get_credentials() is None:
                session = boto3.session.Session(
                    aws_access_key_id=PLACEHOLDER_KEY, aws_secret_access_key=PLACEHOLDER_KEY
                )
            client = session.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=Config(retries={"mode": "standard", "max_attempts": 3}),
            )
        self._client = client

    def read(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        head_request: HeadObjectRequestTypeDef = {"Bucket": bucket, "Key": key}
        get_request: GetObjectRequestTypeDef = {"Bucket": bucket, "Key": key}
        if version:
            head_request["VersionId"] = get_request["VersionId"] = version
        try:
            head = self._client.head_object(**head_request)
            if head["ContentLength"] > limit:
                raise ImageTooLargeException(
                    f"S3 object is {head['ContentLength']} bytes; the limit is {limit}."
                )
            body = self._client.get_object(**get_request)["Body"]
            data = body.read(limit + 1)
        except (ClientError, BotoCoreError) as exc:
            raise InvalidS3ObjectException(
                f"Unable to get object s3://{bucket}/{key}: {exc}"
            ) from exc
        if len(data) > limit:
            raise ImageTooLargeException(f"S3 object exceeds the {limit} byte limit.")
        return data
