"""`doorman gallery sync`: mirror the faces bucket into the local gallery folder.

The person of each photo follows the enrollment rules (tags `name`/`watchlist`, else the key
`{watchlist}/{Display Name}/{file}`); a photo whose `enrollment` tag says anything but
`indexed` is left out. Photos land in `DIR/<person_id>/*.jpg` (PNGs are converted). A
manifest in DIR remembers each object's ETag, so a second run downloads nothing, and files
whose object left the bucket are removed. Files the user put there by hand are never touched.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, UnidentifiedImageError

from core.enrollment import OUTCOME_TAG, Claim, claim_from
from core.slugs import hashed_slug, normalize_name, slugify

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


def sync_gallery(s3: Any, bucket: str, directory: Path, *, prefix: str = "") -> SyncReport:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    report = SyncReport()
    manifest = _load_manifest(directory)
    try:
        photos = list(_eligible_photos(s3, bucket, prefix, report))
    except (ClientError, BotoCoreError) as error:
        raise GallerySyncError(f"cannot list s3://{bucket}/{prefix}: {error}") from error
    person_ids = _person_ids({photo.claim.name for photo in photos})

    files: dict[str, dict[str, str]] = {}
    for photo in photos:
        person_id = person_ids[normalize_name(photo.claim.name)]
        relative = f"{person_id}/{_local_name(photo.key)}"
        known = manifest.get(photo.key)
        same = known and known["etag"] == photo.etag and known["path"] == relative
        if same and (directory / relative).is_file():
            files[photo.key] = known
            report.unchanged += 1
            report.people[person_id] = _person(photo.claim)
            continue
        problem = _download(s3, bucket, photo, directory / relative)
        if problem:
            report.skipped[problem] += 1
            if known and (directory / known["path"]).is_file():
                files[photo.key] = known  # keep the last good copy until a download works
            continue
        if known and known["path"] != relative:
            _remove(directory, known["path"])
        files[photo.key] = {"etag": photo.etag, "path": relative, "person_id": person_id}
        report.downloaded += 1
        report.people[person_id] = _person(photo.claim)

    for key, entry in manifest.items():
        if key not in files:
            _remove(directory, entry["path"])
            report.removed += 1
    _save_manifest(directory, files, report.people)
    return report


def _eligible_photos(s3: Any, bucket: str, prefix: str, report: SyncReport):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if not key.lower().endswith(IMAGE_SUFFIXES):
                report.skipped["not-an-image"] += 1
                continue
            if obj["Size"] > MAX_PHOTO_BYTES:
                report.skipped["too-large"] += 1
                continue
            try:
                tag_set = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    continue  # deleted while we listed
                raise
            tags = {tag["Key"]: tag["Value"] for tag in tag_set}
            outcome = tags.get(OUTCOME_TAG)
            if outcome is not None and outcome != "indexed":
                report.skipped[f"enrollment={outcome}"] += 1
                continue
            claim = claim_from(tags, key)
            if isinstance(claim, str):
                report.skipped[claim] += 1
                continue
            yield _Photo(key=key, etag=obj["ETag"].strip('"'), claim=claim)


def _person_ids(names: set[str]) -> dict[str, str]:
    """normalized name -> person_id; a slug shared by two names goes to the first one."""
    ids: dict[str, str] = {}
    owners: dict[str, str] = {}
    for name in sorted(names, key=normalize_name):
        normalized = normalize_name(name)
        if normalized in ids:
            continue
        slug = slugify(name)
        if owners.setdefault(slug, normalized) != normalized:
            slug = hashed_slug(name)
        ids[normalized] = slug
    return ids


def _person(claim: Claim) -> dict[str, str]:
    return {"name": claim.name, "watchlist": claim.watchlist}


def _local_name(key: str) -> str:
    stem = _UNSAFE.sub("-", Path(key).stem).strip("-.")[:60] or "photo"
    return f"{stem}-{hashlib.sha1(key.encode()).hexdigest()[:8]}.jpg"  # noqa: S324 - a name


def _download(s3: Any, bucket: str, photo: _Photo, target: Path) -> str | None:
    """Fetch one photo as JPEG into `target`. Returns a skip reason, or None on success."""
    try:
        body = s3.get_object(Bucket=bucket, Key=photo.key)["Body"].read()
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
