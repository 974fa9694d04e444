"""S3 objects: listings, heads, bytes, tags, versions, audit JSON and presigned links."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import (
        GetObjectRequestTypeDef,
        GetObjectTaggingRequestTypeDef,
        PutObjectRequestTypeDef,
        TagTypeDef,
    )

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}
_CHANGED = {"412", "PreconditionFailed"}


class ObjectChanged(Exception):
    """The object is no longer the one a read was pinned to (replaced or deleted since)."""


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _MISSING


def _changed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _CHANGED


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str
    version_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectSummary:
    """One current object of a listing."""

    key: str
    etag: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class ObjectVersion:
    """One version of an object, or one delete marker."""

    key: str
    version_id: str


def tagging_header(tags: Mapping[str, str]) -> str:
    """S3's `Tagging` parameter: URL-encoded, UTF-8 for any Unicode value."""
    return urlencode(dict(tags), quote_via=quote)


class Storage:
    def __init__(self, client: S3Client) -> None:
        self._client = client

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        """The object's current version, or None when it is gone (or a delete marker)."""
        try:
            response = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return ObjectHead(
            size=int(response.get("ContentLength", 0)),
            etag=str(response.get("ETag", "")).strip('"'),
            version_id=response.get("VersionId") or "",
            metadata=dict(response.get("Metadata") or {}),
        )

    def objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectSummary]:
        """The current objects under `prefix`, page after page."""
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                yield ObjectSummary(
                    key=obj["Key"],
                    etag=obj["ETag"].strip('"'),
                    size=int(obj["Size"]),
                    last_modified=obj["LastModified"],
                )

    def versions(self, bucket: str, prefix: str) -> Iterator[ObjectVersion]:
        """Every version and delete marker of the objects under `prefix`."""
        pages = self._client.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=prefix
        )
        for page in pages:
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                yield ObjectVersion(entry["Key"], entry.get("VersionId") or "null")

    def read(self, bucket: str, key: str, *, version_id: str = "", etag: str = "") -> bytes:
        """The object's bytes; pinned, when given, to the version `version_id` and to the
        content `etag` (S3's If-Match), so the bytes are those a `head` checked. Raises
        ObjectChanged when that object is gone or was replaced
        (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html)."""
        request: GetObjectRequestTypeDef = {"Bucket": bucket, "Key": key}
        if version_id:
            request["VersionId"] = version_id
        if etag:
            request["IfMatch"] = f'"{etag}"'
        try:
            body: bytes = self._client.get_object(**request)["Body"].read()
        except ClientError as exc:
            pinned = version_id or etag
            if pinned and (_missing(exc) or _changed(exc)):
                raise ObjectChanged(f"s3://{bucket}/{key} changed since it was checked") from exc
            raise
        return body

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Store `data` with its tags in one request; returns the new version id ("" when
        the bucket is not versioned)."""
        request: PutObjectRequestTypeDef = {
            "Bucket": bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
        }
        if tags:
            request["Tagging"] = tagging_header(tags)
        response = self._client.put_object(**request)
        return response.get("VersionId") or ""

    def tags(self, bucket: str, key: str) -> dict[str, str]:
        response = self._client.get_object_tagging(Bucket=bucket, Key=key)
        return {tag["Key"]: tag["Value"] for tag in response.get("TagSet", [])}

    def tags_if_present(self, bucket: str, key: str, version_id: str = "") -> dict[str, str] | None:
        """The tags of the object (or of one version of it); None when it is gone."""
        request: GetObjectTaggingRequestTypeDef = {"Bucket": bucket, "Key": key}
        if version_id:
            request["VersionId"] = version_id
        try:
            response = self._client.get_object_tagging(**request)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return {tag["Key"]: tag["Value"] for tag in response.get("TagSet", [])}

    def set_tags(self, bucket: str, key: str, tags: dict[str, str]) -> None:
        tag_set: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._client.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": tag_set})

    def tag(self, bucket: str, key: str, name: str, value: str) -> bool:
        """Set one tag, keeping the others; False when it already had that value."""
        return self.update_tags(bucket, key, {name: value})

    def update_tags(self, bucket: str, key: str, changes: Mapping[str, str | None]) -> bool:
        """Set the tags given a value and remove those given None, keeping the others, in
        one write; False when nothing changed (so no write, and no tagging event)."""
        tags = self.tags(bucket, key)
        updated = {k: v for k, v in {**tags, **changes}.items() if v is not None}
        if updated == tags:
            return False
        self.set_tags(bucket, key, updated)
        return True

    def delete(self, bucket: str, key: str) -> None:
        """Delete the object (its current version; S3 answers alike when it is absent)."""
        self._client.delete_object(Bucket=bucket, Key=key)

    def delete_every_version(self, bucket: str, key: str) -> int:
        """Delete every version and delete marker of exactly `key`; returns how many.

        In an unversioned bucket (no versions listed) the object itself is deleted."""
        versions = [v for v in self.versions(bucket, key) if v.key == key]
        for version in versions:
            self._client.delete_object(Bucket=bucket, Key=key, VersionId=version.version_id)
        if not versions:
            self._client.delete_object(Bucket=bucket, Key=key)
        return len(versions)

    def put_new(
        self, bucket: str, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> bool:
        """Store `data` unless `key` already exists (a conditional write, If-None-Match: *;
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
        False when it did: the object there is kept as it was."""
        try:
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                Metadata=dict(metadata),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _changed(exc):
                return False
            raise
        return True

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        body = json.dumps(document, indent=1, sort_keys=True, default=str).encode()
        self._client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")

    def presigned_get(self, bucket: str, key: str, expires_in: int) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url
