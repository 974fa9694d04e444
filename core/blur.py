"""Privacy blur (issue 14, item 4): which faces of a frame to blur, and the blurred JPEG.

`privacy_blur` (a context key) is one of:
- "none": nothing is blurred (the default);
- "known": people on the `known` watchlist (family, staff) are blurred; strangers and barred
  people stay visible;
- "bystanders": everyone is blurred except whoever the alert is about (the identities the
  alert rules alert on: barred people, strangers); a frame no rule alerts on is blurred
  whole-face by whole-face.
Faces too small to search are blurred in both modes but "none": nobody can be identified
from them by Doorman, and nobody is alerted about them.

The blur covers the face box grown by BLUR_MARGIN on each side: the area is reduced to
BLOCKS x BLOCKS colours and smoothed (`_obscured`), so that SearchFacesByImage on the blurred
crop finds no match (tests/integration/test_privacy_blur.py).
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from typing import Literal

from PIL import Image, ImageFilter

from core.imaging import Region, face_pixels
from core.schemas import UNKNOWN_PERSON, FaceResult

PrivacyBlur = Literal["none", "known", "bystanders"]
PRIVACY_BLUR_MODES: tuple[PrivacyBlur, ...] = ("none", "known", "bystanders")
BLUR_MARGIN = 0.25
MIN_RADIUS = 6
BLOCKS = 4
BLURRED_PREFIX = "blurred/"


def identity(face: FaceResult) -> str:
    """The alerting identity of a face: its person_id, or "unknown" for any stranger."""
    return face.person.person_id if face.person else UNKNOWN_PERSON


def faces_to_blur(
    faces: Sequence[FaceResult], mode: PrivacyBlur, alerted: Collection[str] = ()
) -> list[FaceResult]:
    """The faces `mode` blurs; `alerted` are the identities the frame's alert is about."""
    if mode == "none":
        return []
    if mode == "known":
        return [f for f in faces if f.status in ("known", "too-small")]
    return [f for f in faces if f.status == "too-small" or identity(f) not in set(alerted)]


def blur_region(face: FaceResult, width: int, height: int) -> Region:
    box = face_pixels(face.bounding_box, width, height)
    pad_x, pad_y = round(box.width * BLUR_MARGIN), round(box.height * BLUR_MARGIN)
    return Region(
        max(0, box.left - pad_x),
        max(0, box.top - pad_y),
        min(width, box.right + pad_x),
        min(height, box.bottom + pad_y),
    )


def _obscured(face: Image.Image) -> Image.Image:
    """The face reduced to BLOCKS x BLOCKS colours, then smoothed: whatever the face's size,
    no eyes, nose or mouth are left for a detector to find or a search to match."""
    radius = max(MIN_RADIUS, max(face.width, face.height) // 8)
    coarse = face.resize((BLOCKS, BLOCKS), Image.Resampling.BOX)
    return coarse.resize(face.size, Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(radius)
    )


def blur_faces(image: Image.Image, faces: Sequence[FaceResult], quality: int = 90) -> bytes:
    """A JPEG of `image` with each of `faces` blurred."""
    out = image.convert("RGB").copy()
    for face in faces:
        region = blur_region(face, out.width, out.height)
        if region.width <= 0 or region.height <= 0:
            continue
        area = (region.left, region.top, region.right, region.bottom)
        out.paste(_obscured(out.crop(area)), area[:2])
    buffer = io.BytesIO()
    out.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def blurred_key(key: str) -> str:
    """Where the blurred copy of frame `key` is stored in the audit bucket."""
    return f"{BLURRED_PREFIX}{key}"
