"""Close moto gaps that matter to Doorman, in the process that runs moto server.

- moto 5.2 sends no S3 notification when a delete on a versioned bucket creates a delete
  marker; AWS sends `s3:ObjectRemoved:DeleteMarkerCreated`. The faces bucket is versioned
  and enrollment relies on that event, so `apply()` makes moto send it.
- moto's server finds the backend of every request by listing its own package directory
  (`moto.backends.list_of_moto_modules`: a listdir and about 150 isdir calls), under the
  lock that every request takes. The list never changes while it runs, so it is listed
  once. (Measured with a sampling profiler under the bench's load: this lookup was most of
  moto's time.)
- moto's SQS ReceiveMessage checks each message it looks at against the queue's retention
  period by building all of the queue's attributes, three times, and each build counts the
  messages (visible, in flight, delayed): with 900 frames queued, every receive cost
  millions of steps, and moto's CPU per frame grew with the backlog (49 ms a frame over
  300 frames, 74 over 1,000, measured with a sampling profiler). The check reads the
  retention period alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

_PATCHED = "_doorman_patched"


def apply() -> None:
    _send_delete_marker_events()
    _list_moto_modules_once()
    _read_the_retention_period_alone()


def _list_moto_modules_once() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, _PATCHED, False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> Iterable[str]:
        return modules

    setattr(list_of_moto_modules, _PATCHED, True)
    backends.list_of_moto_modules = list_of_moto_modules


def _read_the_retention_period_alone() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.models import Message, SQSBackend

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, _PATCHED, False):
        return

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Message
    ) -> bool:
        retention_seconds = int(self.get_queue(queue_name).message_retention_period)
        sent_seconds = cast(int, message.sent_timestamp) / 1000  # set when it was sent
        return bool(retention_seconds + sent_seconds > unix_time())

    setattr(is_message_valid_based_on_retention_period, _PATCHED, True)
    method = is_message_valid_based_on_retention_period
    cast(Any, SQSBackend).is_message_valid_based_on_retention_period = method


def _send_delete_marker_events() -> None:
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
