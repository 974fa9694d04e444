"""S3 objects: heads, bytes, tags, audit JSON and presigned links."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str
    version_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


class Storage:
    def __init__(self, client: Any) -> None:
        self._client = client

    def head(self, bucket: str, key: str) -> ObjectHead | None:
        """The object's current version, or None when it is gone (or a delete marker)."""
        try:
            response = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return ObjectHead(
            size=int(response.get("ContentLength", 0)),
            etag=str(response.get("ETag", "")).strip('"'),
            version_id=response.get("VersionId") or "",
            metadata=dict(response.get("Metadata") or {}),
        )

    def read(self, bucket: str, key: str) -> bytes:
        return self._client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def tags(self, bucket: str, key: str) -> dict[str, str]:
        response = self._client.get_object_tagging(Bucket=bucket, Key=key)
        return {tag["Key"]: tag["Value"] for tag in response.get("TagSet", [])}

    def set_tags(self, bucket: str, key: str, tags: dict[str, str]) -> None:
        tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._client.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": tag_set})

    def tag(self, bucket: str, key: str, name: str, value: str) -> bool:
        """Set one tag, keeping the others; False when it already had that value."""
        tags = self.tags(bucket, key)
        if tags.get(name) == value:
            return False
        self.set_tags(bucket, key, {**tags, name: value})
        return True

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        body = json.dumps(document, indent=1, sort_keys=True, default=str).encode()
        self._client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")

    def presigned_get(self, bucket: str, key: str, expires_in: int) -> str:
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
