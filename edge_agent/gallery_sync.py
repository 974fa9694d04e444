"""`doorman gallery sync`: mirror the faces bucket into the local gallery folder.

The person of each photo follows the enrollment rules (tags `name`/`watchlist`, else the key
`{watchlist}/{Display Name}/{file}`); a photo whose `enrollment` tag says anything but
`indexed` is left out. Photos land in `DIR/<person_id>/*.jpg` (PNGs are converted). A
manifest in DIR remembers each object's ETag, so a second run downloads nothing, and files
whose object left the bucket are removed. Files the user put there by hand are never touched.

The folder is the person_id the cloud uses, so the edge's `local-match` names the same
person as analyze: the `person-id` tag enroll wrote on the photo when there is one, else
`core.slugs.person_id` (enroll's own rule), where a slug belongs to the name whose photo
reached the bucket first, as it does in enroll.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, UnidentifiedImageError

from adapters.storage import Storage
from core.enrollment import OUTCOME_TAG, PERSON_ID_TAG, Claim, claim_from
from core.slugs import is_person_id, normalize_name, person_id

log = logging.getLogger(__name__)

MANIFEST = ".doorman-gallery.json"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_PHOTO_BYTES = 15 * 1024 * 1024  # Rekognition's limit for images read from S3
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


class GallerySyncError(Exception):
    """The sync cannot run at all (bucket missing, access denied, no credentials)."""


@dataclass
class SyncReport:
    downloaded: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    people: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Photo:
    key: str
    etag: str
    claim: Claim
    uploaded_at: datetime
    person_id: str  # from enroll's tag; "" when the photo has none (or a malformed one)


def sync_gallery(storage: Storage, bucket: str, directory: Path, *, prefix: str = "") -> SyncReport:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    report = SyncReport()
    manifest = _load_manifest(directory)
    try:
        photos = list(_eligible_photos(storage, bucket, prefix, report))
    except (ClientError, BotoCoreError) as error:
        raise GallerySyncError(f"cannot list s3://{bucket}/{prefix}: {error}") from error
    person_ids = _person_ids(photos)

    files: dict[str, dict[str, str]] = {}
    for photo in photos:
        pid = person_ids[normalize_name(photo.claim.name)]
        relative = f"{pid}/{_local_name(photo.key)}"
        known = manifest.get(photo.key)
        if (
            known is not None
            and known["etag"] == photo.etag
            and known["path"] == relative
            and (directory / relative).is_file()
        ):
            files[photo.key] = known
            report.unchanged += 1
            report.people[pid] = _person(photo.claim)
            continue
        problem = _download(storage, bucket, photo, directory / relative)
        if problem:
            report.skipped[problem] += 1
            if known and (directory / known["path"]).is_file():
                files[photo.key] = known  # keep the last good copy until a download works
            continue
        if known and known["path"] != relative:
            _remove(directory, known["path"])
        files[photo.key] = {"etag": photo.etag, "path": relative, "person_id": pid}
        report.downloaded += 1
        report.people[pid] = _person(photo.claim)

    for key, entry in manifest.items():
        if key not in files:
            _remove(directory, entry["path"])
            report.removed += 1
    _save_manifest(directory, files, report.people)
    return report


def _eligible_photos(
    storage: Storage, bucket: str, prefix: str, report: SyncReport
) -> Iterator[_Photo]:
    for obj in storage.objects(bucket, prefix):
        if not obj.key.lower().endswith(IMAGE_SUFFIXES):
            report.skipped["not-an-image"] += 1
            continue
        if obj.size > MAX_PHOTO_BYTES:
            report.skipped["too-large"] += 1
            continue
        tags = storage.tags_if_present(bucket, obj.key)
        if tags is None:
            continue  # deleted while we listed
        outcome = tags.get(OUTCOME_TAG)
        if outcome is not None and outcome != "indexed":
            report.skipped[f"enrollment={outcome}"] += 1
            continue
        claim = claim_from(tags, obj.key)
        if isinstance(claim, str):
            report.skipped[claim] += 1
            continue
        tagged_id = tags.get(PERSON_ID_TAG, "")
        yield _Photo(
            key=obj.key,
            etag=obj.etag,
            claim=claim,
            uploaded_at=obj.last_modified,
            person_id=tagged_id if is_person_id(tagged_id) else "",
        )


def _person_ids(photos: list[_Photo]) -> dict[str, str]:
    """normalized name -> the person_id enroll gives that name.

    Enroll's tag on a photo is the cloud's own answer. For a name without one, the slug goes
    to whichever name holds it already, then to the name whose photo was uploaded first: the
    order in which enroll saw them."""
    ids: dict[str, str] = {}
    owners: dict[str, str] = {}  # person_id -> display name
    for photo in photos:
        name = normalize_name(photo.claim.name)
        if photo.person_id and name not in ids:
            ids[name] = photo.person_id
            owners.setdefault(photo.person_id, photo.claim.name)
    first_upload = sorted(photos, key=lambda p: (p.uploaded_at, normalize_name(p.claim.name)))
    for photo in first_upload:
        name = normalize_name(photo.claim.name)
        if name not in ids:
            ids[name] = person_id(photo.claim.name, owners.get)
            owners.setdefault(ids[name], photo.claim.name)
    return ids


def _person(claim: Claim) -> dict[str, str]:
    return {"name": claim.name, "watchlist": claim.watchlist}


def _local_name(key: str) -> str:
    stem = _UNSAFE.sub("-", Path(key).stem).strip("-.")[:60] or "photo"
    return f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:8]}.jpg"  # noqa: S324 - a name


def _download(storage: Storage, bucket: str, photo: _Photo, target: Path) -> str | None:
    """Fetch one photo as JPEG into `target`. Returns a skip reason, or None on success."""
    try:
        body = storage.read(bucket, photo.key)
    except BotoCoreError as error:  # the network went away mid-sync: stop, delete nothing
        raise GallerySyncError(f"cannot download s3://{bucket}/{photo.key}: {error}") from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        log.warning("gallery: cannot download %s: %s", photo.key, code)
        return f"download-{code}"
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            if image.format != "JPEG":
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, format="JPEG", quality=95)
                body = buffer.getvalue()
    # Image.open raises it from the header alone, above 2 x MAX_IMAGE_PIXELS (~179 Mpx):
    # https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.open
    except Image.DecompressionBombError as error:
        log.warning("gallery: %s skipped: %s", photo.key, error)
        return "too-many-pixels"
    except (UnidentifiedImageError, OSError, ValueError):
        log.warning("gallery: %s is not a readable image; skipped", photo.key)
        return "bad-image"
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(target, body)
    return None


def _remove(directory: Path, relative: str) -> None:
    path = directory / relative
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # only when empty: hand-made files keep their folder


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _load_manifest(directory: Path) -> dict[str, dict[str, str]]:
    path = directory / MANIFEST
    try:
        return dict(json.loads(path.read_text())["files"])
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError):
        log.warning("gallery: %s is unreadable; every photo is downloaded again", path)
        return {}


def _save_manifest(
    directory: Path, files: dict[str, dict[str, str]], people: dict[str, dict[str, str]]
) -> None:
    document = {"version": 1, "files": files, "people": people}
    _write_atomic(directory / MANIFEST, json.dumps(document, indent=1, sort_keys=True).encode())
