"""privacy_blur: analyze stores a copy of the frame with faces blurred (core/blur.py), and
the Events item, the Sightings, the report and the alert image point to that copy. The
unblurred upload is tagged like a quiet frame, so the uploads bucket deletes it after
`quiet_retention_days` (1 day by default)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from PIL import Image

from core.blur import PrivacyBlur, blur_faces, blurred_key, faces_to_blur
from core.schemas import EventRecord
from functions.analyze.ports import FrameStore

R = TypeVar("R", bound=EventRecord)


def blurred(
    record: R,
    image: Image.Image,
    *,
    mode: PrivacyBlur,
    alerted: Collection[str],
    storage: FrameStore,
    audit_bucket: str,
) -> R:
    """`record` pointing at its blurred copy, or as it is when no face is blurred."""
    faces = faces_to_blur(record.faces, mode, alerted)
    if not faces or not record.image_key:
        return record
    key = blurred_key(record.image_key)
    storage.put(audit_bucket, key, blur_faces(image, faces), content_type="image/jpeg")
    return record.model_copy(
        update={"bucket": audit_bucket, "image_key": key, "original_key": record.image_key}
    )
