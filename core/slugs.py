"""Stable person ids: display names (any Unicode) -> ASCII slugs that fit ExternalImageId."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

MAX_SLUG = 64
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
EXTERNAL_IMAGE_ID = re.compile(r"^[A-Za-z0-9_.\-:]{1,255}$")
# What `person_id` produces: also a safe folder name (no dots, no separators).
_PERSON_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,254}")


def normalize_name(name: str) -> str:
    """The comparable form of a display name: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def short_hash(name: str, length: int = 6) -> str:
    return hashlib.sha256(normalize_name(name).encode()).hexdigest()[:length]


def slugify(name: str) -> str:
    """ "José Núñez" -> "jose-nunez". Names with no Latin letters get "person-<hash>"."""
    ascii_name = (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    )
    slug = _NOT_ALNUM.sub("-", ascii_name).strip("-")[:MAX_SLUG].strip("-")
    return slug or f"person-{short_hash(name)}"


def hashed_slug(name: str) -> str:
    """The fallback id when another display name already owns `slugify(name)`."""
    return f"{slugify(name)}-{short_hash(name)}"


def is_person_id(value: str) -> bool:
    """True for ids of the shape `person_id` gives (from an untrusted source, such as a tag)."""
    return bool(_PERSON_ID.fullmatch(value))


def same_person_name(a: str, b: str) -> bool:
    return normalize_name(a) == normalize_name(b)


def person_id(name: str, owner_of: Callable[[str], str | None]) -> str:
    """The one rule for a person's id, used by enroll and by the edge's gallery sync.

    The slug of the name, or slug-<hash> when another display name already owns that slug.
    `owner_of(slug)` is the display name that holds `slug` now, or None when it is free."""
    base = slugify(name)
    owner = owner_of(base)
    if owner is None or same_person_name(owner, name):
        return base
    return hashed_slug(name)
