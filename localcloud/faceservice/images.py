"""Image input for the face service: the `Image` parameter, its limits and its decoding.

Limits follow Rekognition: 5 MB as `Bytes`, 15 MB from `S3Object`, JPEG or PNG only (checked
by magic bytes, then by decoding), each side at least 80 px. We also refuse sides above
10,000 px so a small file cannot expand into a huge bitmap. The picture is the one analyze
crops from (`core.imaging.upright_8bit`): a JPEG turned upright by its EXIF orientation
(Rekognition reports boxes for the corrected image), a PNG left as it is (Rekognition corrects
no PNG), 16-bit greyscale scaled to 8 bits. A truncated file is refused, as Rekognition (and
Lambda's Pillow) refuse it. Transparency is composited onto white.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PIL import Image, UnidentifiedImageError

from core.imaging import upright_8bit

from .errors import (
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
    InvalidS3ObjectException,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_S3_BYTES = 15 * 1024 * 1024
MIN_SIDE = 80
MAX_SIDE = 10_000

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ObjectReader(Protocol):
    def read(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        """Return the object's bytes; raise ImageTooLargeException above `limit`."""


@dataclass(frozen=True)
class DecodedImage:
    rgb: np.ndarray  # (height, width, 3) uint8

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def image_bytes(image: Any, reader: ObjectReader | None) -> bytes:
    """The raw bytes named by a Rekognition `Image` parameter (Bytes or S3Object)."""
    if not isinstance(image, dict) or ("Bytes" in image) == ("S3Object" in image):
        raise InvalidParameterException("Image must contain exactly one of Bytes or S3Object.")
    if "Bytes" in image:
        try:
            data = base64.b64decode(image["Bytes"], validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise InvalidImageFormatException("Image.Bytes is not valid base64.") from exc
        if len(data) > MAX_BYTES:
            raise ImageTooLargeException(
                f"Image size {len(data)} bytes exceeds the {MAX_BYTES} byte limit for Bytes."
            )
        return data
    s3 = image["S3Object"]
    if not isinstance(s3, dict) or not s3.get("Bucket") or not s3.get("Name"):
        raise InvalidParameterException("S3Object needs Bucket and Name.")
    if reader is None:
        raise InvalidS3ObjectException("This face service has no S3 endpoint configured.")
    return reader.read(s3["Bucket"], s3["Name"], s3.get("Version"), MAX_S3_BYTES)


def decode(data: bytes) -> DecodedImage:
    """Decode JPEG/PNG bytes to RGB, enforcing the format and size limits."""
    if not (data.startswith(_JPEG_MAGIC) or data.startswith(_PNG_MAGIC)):
        raise InvalidImageFormatException("Request has unsupported image format (JPEG or PNG).")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ("JPEG", "PNG"):
                raise InvalidImageFormatException("Request has unsupported image format.")
            width, height = opened.size
            if max(width, height) > MAX_SIDE:
                raise ImageTooLargeException(f"Image sides must be at most {MAX_SIDE} pixels.")
            opened.load()
            picture = upright_8bit(opened)
    except (InvalidImageFormatException, ImageTooLargeException):
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeException("Image resolution is too large.") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidImageFormatException(f"Unable to decode image: {exc}") from exc
    if min(picture.size) < MIN_SIDE:
        raise InvalidParameterException(
            f"Image is {picture.width}x{picture.height}; each side must be at least "
            f"{MIN_SIDE} pixels."
        )
    return DecodedImage(rgb=_to_rgb(picture))


def load(image: Any, reader: ObjectReader | None) -> DecodedImage:
    return decode(image_bytes(image, reader))


def _to_rgb(picture: Image.Image) -> np.ndarray:
    if picture.mode == "P" and "transparency" in picture.info:
        picture = picture.convert("RGBA")
    if picture.mode in ("RGBA", "LA", "PA"):
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(background, rgba)
    return np.ascontiguousarray(np.asarray(picture.convert("RGB"), dtype=np.uint8))
