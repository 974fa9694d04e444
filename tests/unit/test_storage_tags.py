"""Storage.update_tags: one tagging write that sets and removes tags, or none at all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from adapters.storage import Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class TaggingOnlyS3:
    """The two tagging calls of an S3 client, over one object's tag set."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.writes = 0

    def get_object_tagging(self, **_: Any) -> dict[str, Any]:
        return {"TagSet": list(self.tag_set)}

    def put_object_tagging(self, *, Tagging: dict[str, Any], **_: Any) -> None:
        self.tag_set = list(Tagging["TagSet"])
        self.writes += 1


def test_tags_are_set_and_removed_in_one_write_keeping_the_others() -> None:
    s3 = TaggingOnlyS3({"name": "Ann", "enrollment": "indexed", "person-id": "ann"})
    storage = Storage(cast("S3Client", s3))  # a fake with only the calls tagging makes

    changed = storage.update_tags("b", "k", {"enrollment": "no-face", "person-id": None})

    assert changed and s3.writes == 1
    assert storage.tags("b", "k") == {"name": "Ann", "enrollment": "no-face"}


def test_nothing_to_change_writes_nothing() -> None:
    s3 = TaggingOnlyS3({"name": "Ann", "enrollment": "indexed"})
    storage = Storage(cast("S3Client", s3))  # a fake with only the calls tagging makes

    assert not storage.update_tags("b", "k", {"enrollment": "indexed", "person-id": None})
    assert not storage.tag("b", "k", "name", "Ann")
    assert s3.writes == 0
