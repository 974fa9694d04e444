"""Image checks and face crops. Geometry is pure; decoding and encoding use Pillow.

Every image is decoded once, by `load_image`, into the picture Rekognition sees: a JPEG is
turned upright by its EXIF Orientation (Rekognition corrects JPEGs by it and reports its
bounding boxes for the corrected image; it corrects no PNG:
https://docs.aws.amazon.com/rekognition/latest/dg/images-orientation.html), and 16-bit
greyscale is scaled to 8 bits, not clipped. Face crops are cut from that picture, so the boxes
of DetectFaces (sent the original bytes) and the crops refer to the same pixels. The face
service decodes with `upright_8bit` too, so localcloud sees what Rekognition sees.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

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
SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})  # PNG's 16-bit grey
SIXTEEN_TO_EIGHT_BITS = 257  # 65535 / 255: full scale maps to full scale

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
    """Decode, validate and normalise: JPEG/PNG magic, at most 15 MB and 50 Mpx, decodable
    (a truncated file is corrupt), each side at least 80 px; returned upright and 8-bit
    (`upright_8bit`)."""
    if len(data) > MAX_S3_IMAGE_BYTES:
        raise ImageRejected("too-large", f"{len(data)} bytes")
    if sniff_format(data) is None:
        raise ImageRejected("not-an-image", "neither JPEG nor PNG")
    try:
        opened = Image.open(io.BytesIO(data))  # reads the header only
        if opened.width * opened.height > MAX_PIXELS:
            raise ImageRejected("too-large", "x".join(map(str, opened.size)))
        opened.load()
        image = upright_8bit(opened)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ImageRejected("corrupt", str(exc)) from exc
    if min(image.size) < MIN_IMAGE_SIDE:
        raise ImageRejected("too-small", "x".join(map(str, image.size)))
    return image


def upright_8bit(image: Image.Image) -> Image.Image:
    """The loaded image as Rekognition analyses it: a JPEG rotated/flipped by its EXIF
    Orientation (a PNG is left as it is, as Rekognition leaves it), and 16-bit greyscale
    scaled to 8-bit greyscale. Pillow already reads 48-bit and 64-bit PNGs as 8-bit RGB(A)."""
    if image.format == "JPEG":
        ImageOps.exif_transpose(image, in_place=True)  # no copy of an upright image
    if image.mode in SIXTEEN_BIT_MODES:
        scaled = image.convert("I").point(lambda value: value / SIXTEEN_TO_EIGHT_BITS)
        image = scaled.convert("L")
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
