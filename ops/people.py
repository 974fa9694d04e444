"""Enrolled people: enroll by tagged upload, list, and find by name."""

from __future__ import annotations

import mimetypes
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.discovery import Target
from core.enrollment import MAX_NAME, NAME_TAG, OUTCOME_TAG, WATCHLIST_TAG, photo_path
from core.schemas import UNKNOWN_PERSON, WATCHLISTS, Person
from core.slugs import normalize_name, slugify
from core.tablekeys import sort_key_time

MAX_PHOTO_BYTES = 15 * 1024 * 1024  # Rekognition's limit for images read from S3
IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
# S3 object tags: a key holds up to 128 and a value up to 256 Unicode characters, counted
# in UTF-16 (a character outside the BMP counts twice); both may hold letters, digits and
# spaces of any script and `_ . : / = + - @`, nothing else. S3 refuses a PutObject whose
# tags break these rules (moto stores the object anyway).
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3Tag.html
# (pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$)
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
TAG_SYMBOLS = frozenset("_.:/=+-@")


class OperatorError(RuntimeError):
    """A problem the user can act on; the CLI prints it and exits non-zero."""


@dataclass(frozen=True)
class Upload:
    path: Path
    key: str
    version_id: str


@dataclass(frozen=True)
class EnrollResult:
    path: Path
    key: str
    outcome: str  # the enrollment tag, or "timeout"

    @property
    def ok(self) -> bool:
        return self.outcome == "indexed"


@dataclass(frozen=True)
class PersonRow:
    person_id: str
    name: str
    watchlist: str
    photos: int
    faces: int
    last_seen: str  # ISO time of the latest sighting, or ""
    last_camera: str


def check_photo(path: Path) -> tuple[bytes, str]:
    """The photo's bytes and content type, or a clear error before anything is uploaded."""
    if not path.is_file():
        raise OperatorError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_PHOTO_BYTES:
        raise OperatorError(f"{path}: {size / 1e6:.1f} MB is over Rekognition's 15 MB limit")
    data = path.read_bytes()
    for magic, content_type in IMAGE_MAGIC.items():
        if data.startswith(magic):
            return data, content_type
    guessed = mimetypes.guess_type(path.name)[0] or "unknown type"
    raise OperatorError(f"{path}: not a JPEG or PNG image ({guessed})")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _tag_character_allowed(character: str) -> bool:
    """A letter, number or space of any script (Unicode categories L, N, Z), or one of
    `_ . : / = + - @`."""
    return unicodedata.category(character)[0] in "LNZ" or character in TAG_SYMBOLS


def check_tag(key: str, value: str) -> None:
    """A clear error naming the tag when S3 would refuse it."""
    if not 1 <= _utf16_length(key) <= MAX_TAG_KEY:
        raise OperatorError(f"tag key {key!r} must hold 1 to {MAX_TAG_KEY} characters")
    if _utf16_length(value) > MAX_TAG_VALUE:
        raise OperatorError(
            f"tag {key!r} is {_utf16_length(value)} characters long (UTF-16); "
            f"S3 allows {MAX_TAG_VALUE}"
        )
    refused = sorted({c for c in key + value if not _tag_character_allowed(c)})
    if refused:
        raise OperatorError(
            f"tag {key!r} = {value!r}: S3 tags may hold only letters, digits, spaces and "
            f"_ . : / = + - @, not {' '.join(map(repr, refused))} (a photo uploaded without "
            "tags as {watchlist}/{name}/{file} may use any name)"
        )


def enrollment_tags(name: str, watchlist: str) -> dict[str, str]:
    """The tags a photo of `name` is uploaded with, or a clear error naming the bad one.

    Checked before anything is uploaded: S3 refuses the whole upload for one bad tag."""
    if watchlist not in WATCHLISTS:
        raise OperatorError(
            f"tag {WATCHLIST_TAG!r}: {watchlist!r} is not a watchlist "
            f"(use {' or '.join(WATCHLISTS)})"
        )
    name = " ".join(name.split())
    if not name:
        raise OperatorError(f"tag {NAME_TAG!r}: --name must not be empty")
    if len(name) > MAX_NAME:
        raise OperatorError(
            f"tag {NAME_TAG!r}: a name may hold {MAX_NAME} characters, this one has {len(name)}"
        )
    tags = {NAME_TAG: name, WATCHLIST_TAG: watchlist}
    for key, value in tags.items():
        check_tag(key, value)
    return tags


def upload_photo(target: Target, path: Path, name: str, watchlist: str) -> Upload:
    tags = enrollment_tags(name, watchlist)
    data, content_type = check_photo(path)
    key = photo_path(watchlist, tags[NAME_TAG], path.name)  # enroll reads it without tags too
    version_id = target.storage().put(
        target.resources.faces_bucket, key, data, content_type=content_type, tags=tags
    )
    return Upload(path, key, version_id)


def enrollment_tag(target: Target, key: str, version_id: str = "") -> str | None:
    """The photo's `enrollment` outcome; None until enroll wrote it, or when it is gone."""
    tags = target.storage().tags_if_present(target.resources.faces_bucket, key, version_id)
    return tags.get(OUTCOME_TAG) if tags else None


def wait_for_enrollment(
    target: Target,
    uploads: Iterable[Upload],
    timeout: float = 60.0,
    poll: float = 0.5,
    on_result: Callable[[EnrollResult], None] | None = None,
) -> list[EnrollResult]:
    """Poll each photo's `enrollment` tag until every one has it or `timeout` passes."""
    waiting = list(uploads)
    results: list[EnrollResult] = []
    deadline = time.monotonic() + timeout
    while waiting:
        for upload in list(waiting):
            outcome = enrollment_tag(target, upload.key, upload.version_id)
            if outcome:
                waiting.remove(upload)
                results.append(EnrollResult(upload.path, upload.key, outcome))
                if on_result:
                    on_result(results[-1])
        if waiting and time.monotonic() > deadline:
            for upload in waiting:
                results.append(EnrollResult(upload.path, upload.key, "timeout"))
                if on_result:
                    on_result(results[-1])
            break
        if waiting:
            time.sleep(poll)
    return results


def find_people(target: Target, name_or_id: str) -> list[Person]:
    """People whose display name (case- and space-insensitive) or person_id matches."""
    wanted = normalize_name(name_or_id)
    return [
        p
        for p in target.tables().people.all()
        if normalize_name(p.name) == wanted or p.person_id == name_or_id.strip()
    ]


def person_id_for(target: Target, name_or_id: str) -> str:
    """The person_id to filter by: "unknown"/"stranger" mean strangers.

    A name that is neither enrolled nor in any sighting is an error, so a typo does not look
    like "nobody came"."""
    if name_or_id.strip().lower() in {UNKNOWN_PERSON, "stranger", "strangers"}:
        return UNKNOWN_PERSON
    matches = find_people(target, name_or_id)
    if len(matches) > 1:
        ids = ", ".join(p.person_id for p in matches)
        raise OperatorError(f"{name_or_id!r} matches several people ({ids}); use a person_id")
    if matches:
        return matches[0].person_id
    sightings = target.tables().sightings
    for person_id in dict.fromkeys([name_or_id.strip(), slugify(name_or_id)]):
        if person_id and sightings.latest(person_id):
            return person_id
    raise OperatorError(
        f'nobody called {name_or_id!r} (see `doorman people`; use "stranger" for strangers)'
    )


def sighting_time(sighting: Mapping[str, Any]) -> str:
    """When a Sightings item was captured: its sort key starts with the ISO time."""
    return str(sighting.get("timestamp") or sort_key_time(str(sighting.get("sighting_key", ""))))


def people_rows(target: Target) -> list[PersonRow]:
    tables = target.tables()
    rows = []
    for person in tables.people.all():
        seen = tables.sightings.latest(person.person_id)
        rows.append(
            PersonRow(
                person_id=person.person_id,
                name=person.name,
                watchlist=person.watchlist,
                photos=len(person.photos),
                faces=len(person.face_ids),
                last_seen=sighting_time(seen) if seen else "",
                last_camera=str(seen.get("camera_id", "")) if seen else "",
            )
        )
    return sorted(rows, key=lambda r: (r.watchlist, normalize_name(r.name)))
