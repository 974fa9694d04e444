"""Enrolled people: enroll by tagged upload, list, and find by name."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from botocore.exceptions import ClientError

from adapters.discovery import Target
from core.enrollment import NAME_TAG, OUTCOME_TAG, WATCHLIST_TAG
from core.schemas import UNKNOWN_PERSON, WATCHLISTS
from core.slugs import normalize_name, slugify
from ops import tables

MAX_PHOTO_BYTES = 15 * 1024 * 1024  # Rekognition's limit for images read from S3
IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


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


def photo_key(watchlist: str, name: str, filename: str) -> str:
    """`{watchlist}/{Display Name}/{file}`: the layout the enroll function reads without tags."""
    return f"{watchlist}/{name.replace('/', '-').strip()}/{filename}"


def tagging(name: str, watchlist: str) -> str:
    """S3's Tagging header: URL-encoded, UTF-8 for any Unicode name."""
    return urlencode({NAME_TAG: name, WATCHLIST_TAG: watchlist}, quote_via=quote)


def upload_photo(target: Target, path: Path, name: str, watchlist: str) -> Upload:
    if watchlist not in WATCHLISTS:
        raise OperatorError(f"watchlist must be one of {', '.join(WATCHLISTS)}")
    name = " ".join(name.split())
    if not name:
        raise OperatorError("--name must not be empty")
    data, content_type = check_photo(path)
    key = photo_key(watchlist, name, path.name)
    response = target.client("s3").put_object(
        Bucket=target.resources.faces_bucket,
        Key=key,
        Body=data,
        ContentType=content_type,
        Tagging=tagging(name, watchlist),
    )
    return Upload(path, key, response.get("VersionId") or "")


def enrollment_tag(target: Target, key: str, version_id: str = "") -> str | None:
    params = {"Bucket": target.resources.faces_bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    try:
        tag_set = target.client("s3").get_object_tagging(**params)["TagSet"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "NoSuchVersion", "404"}:
            return None
        raise
    return next((t["Value"] for t in tag_set if t["Key"] == OUTCOME_TAG), None)


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


def all_people(target: Target) -> list[dict]:
    return list(tables.scan(target.client("dynamodb"), TableName=target.resources.people_table))


def find_people(target: Target, name_or_id: str) -> list[dict]:
    """People whose display name (case- and space-insensitive) or person_id matches."""
    wanted = normalize_name(name_or_id)
    return [
        p
        for p in all_people(target)
        if normalize_name(p.get("name", "")) == wanted or p.get("person_id") == name_or_id.strip()
    ]


def person_id_for(target: Target, name_or_id: str) -> str:
    """The person_id to filter by: "unknown"/"stranger" mean strangers.

    A name that is neither enrolled nor in any sighting is an error, so a typo does not look
    like "nobody came"."""
    if name_or_id.strip().lower() in {UNKNOWN_PERSON, "stranger", "strangers"}:
        return UNKNOWN_PERSON
    matches = find_people(target, name_or_id)
    if len(matches) > 1:
        ids = ", ".join(p["person_id"] for p in matches)
        raise OperatorError(f"{name_or_id!r} matches several people ({ids}); use a person_id")
    if matches:
        return matches[0]["person_id"]
    for person_id in dict.fromkeys([name_or_id.strip(), slugify(name_or_id)]):
        if person_id and last_sighting(target, person_id):
            return person_id
    raise OperatorError(
        f'nobody called {name_or_id!r} (see `doorman people`; use "stranger" for strangers)'
    )


def last_sighting(target: Target, person_id: str) -> dict | None:
    response = target.client("dynamodb").query(
        TableName=target.resources.sightings_table,
        KeyConditionExpression="person_id = :p",
        ExpressionAttributeValues={":p": {"S": person_id}},
        ScanIndexForward=False,
        Limit=1,
    )
    items = response.get("Items", [])
    return tables.from_item(items[0]) if items else None


def sighting_time(sighting: dict) -> str:
    """When a Sightings item was captured: its sort key starts with the ISO time."""
    return str(sighting.get("timestamp") or sighting.get("sighting_key", "")).split("#", 1)[0]


def people_rows(target: Target) -> list[PersonRow]:
    rows = []
    for person in all_people(target):
        seen = last_sighting(target, person["person_id"])
        rows.append(
            PersonRow(
                person_id=person["person_id"],
                name=person.get("name", ""),
                watchlist=person.get("watchlist", ""),
                photos=len(person.get("photos") or {}),
                faces=len(person.get("face_ids") or []),
                last_seen=sighting_time(seen) if seen else "",
                last_camera=str(seen.get("camera_id", "")) if seen else "",
            )
        )
    return sorted(rows, key=lambda r: (r.watchlist, normalize_name(r.name)))
