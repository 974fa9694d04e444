"""Close moto gaps that matter to Doorman, in the process that runs moto server.

moto 5.2 sends no S3 notification when a delete on a versioned bucket creates a delete
marker; AWS sends `s3:ObjectRemoved:DeleteMarkerCreated`. The faces bucket is versioned and
enrollment relies on that event, so `apply()` makes moto send it.
"""

from __future__ import annotations

from typing import Any, cast

_PATCHED = "_doorman_delete_marker_events"


def apply() -> None:
    from moto.s3 import notifications
    from moto.s3.models import FakeKey, S3Backend

    original = S3Backend.delete_object
    if getattr(original, _PATCHED, False):
        return

    def delete_object(
        self: Any,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> tuple[bool, dict[str, Any]]:
        bucket = self.get_bucket(bucket_name)
        current = bucket.keys.get(key_name) if version_id is None else None
        result = original(self, bucket_name, key_name, version_id, bypass)
        if (
            bucket.is_versioned
            and isinstance(current, FakeKey)
            and result[1].get("delete-marker") == "true"
        ):
            notifications.send_event(
                self.account_id,
                notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
                bucket,
                current,
            )
        return result

    setattr(delete_object, _PATCHED, True)
    # Replacing a method of moto's class is what this module is for; mypy refuses to assign
    # to a method, so the class is seen as Any for this one assignment.
    cast(Any, S3Backend).delete_object = delete_object
