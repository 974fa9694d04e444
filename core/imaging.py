"""Image checks and face crops. Geometry is pure; decoding and encoding use Pillow."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, UnidentifiedImageError

from core.schemas import BoundingBox

MAX_S3_IMAGE_BYTES = 15 * 1024 * 1024  # Rekognition's limit for S3Object images
MAX_INLINE_IMAGE_BYTES = 5 * 1024 * 1024  # ... and for Bytes
MIN_IMAGE_SIDE = 80
MAX_PIXELS = 50_000_000  # decoding more would not fit a small Lambda's memory
MIN_FACE_SIDE = 40
CROP_MARGIN = 0.3  # of the face size, on each side
CROP_MIN_SIDE = 160  # crops are upscaled so the searched face is comfortably detectable
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

RejectReason = Literal["too-large", "not-an-image", "corrupt", "too-small"]


class ImageRejected(ValueError):
    """The bytes are not an image Rekognition can take; `reason` is the defined outcome."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: RejectReason = reason


def sniff_format(data: bytes) -> Literal["jpeg", "png"] | None:
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    return None


def load_image(data: bytes) -> Image.Image:
    """Decode and validate: JPEG/PNG magic, at most 15 MB and 50 Mpx, decodable, each side
    at least 80 px."""
    if len(data) > MAX_S3_IMAGE_BYTES:
        raise ImageRejected("too-large", f"{len(data)} bytes")
    if sniff_format(data) is None:
        raise ImageRejected("not-an-image", "neither JPEG nor PNG")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        if image.width * image.height > MAX_PIXELS:
            raise ImageRejected("too-large", "x".join(map(str, image.size)))
        image.load()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ImageRejected("corrupt", str(exc)) from exc
    if min(image.size) < MIN_IMAGE_SIDE:
        raise ImageRejected("too-small", "x".join(map(str, image.size)))
    return image


@dataclass(frozen=True)
class Region:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def face_pixels(box: BoundingBox, width: int, height: int) -> Region:
    """The face box in pixels, clamped to the image."""
    left = max(0, round(box.left * width))
    top = max(0, round(box.top * height))
    right = min(width, round((box.left + box.width) * width))
    bottom = min(height, round((box.top + box.height) * height))
    return Region(left, top, max(left, right), max(top, bottom))


def crop_region(
    box: BoundingBox, width: int, height: int, margin: float = CROP_MARGIN
) -> Region | None:
    """The area to search for one face, or None when the face is under 40 px."""
    face = face_pixels(box, width, height)
    if min(face.width, face.height) < MIN_FACE_SIDE:
        return None
    pad = round(margin * max(face.width, face.height))
    return Region(
        max(0, face.left - pad),
        max(0, face.top - pad),
        min(width, face.right + pad),
        min(height, face.bottom + pad),
    )


def upscale_factor(width: int, height: int, min_side: int = CROP_MIN_SIDE) -> float:
    shortest = min(width, height)
    return 1.0 if shortest >= min_side else min_side / shortest


def crop_jpeg(image: Image.Image, region: Region, min_side: int = CROP_MIN_SIDE) -> bytes:
    crop = image.crop((region.left, region.top, region.right, region.bottom)).convert("RGB")
    factor = upscale_factor(crop.width, crop.height, min_side)
    if factor > 1.0:
        size = (round(crop.width * factor), round(crop.height * factor))
        crop = crop.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, format="JPEG", quality=92)
    return out.getvalue()
