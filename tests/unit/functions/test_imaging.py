from __future__ import annotations

import io

import pytest
from PIL import Image

from core.imaging import (
    CROP_MIN_SIDE,
    ImageRejected,
    crop_jpeg,
    crop_region,
    face_pixels,
    load_image,
    sniff_format,
    upscale_factor,
)
from core.schemas import BoundingBox
from tests.support.images import FACES_DIR, corrupt_jpeg, jpeg_bytes, png_bytes, tiny_jpeg


def test_sniff_format_reads_magic_bytes() -> None:
    assert sniff_format(jpeg_bytes(Image.new("RGB", (90, 90)))) == "jpeg"
    assert sniff_format(png_bytes(Image.new("RGBA", (90, 90)))) == "png"
    assert sniff_format(b"GIF89a....") is None
    assert sniff_format(b"") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello, not an image" * 10, "not-an-image"),
        (b"GIF89a" + bytes(200), "not-an-image"),
        (corrupt_jpeg(), "corrupt"),
        (jpeg_bytes(Image.new("RGB", (400, 300)))[:300], "corrupt"),  # truncated
        (tiny_jpeg(60), "too-small"),
        (b"\xff\xd8\xff" + bytes(16 * 1024 * 1024), "too-large"),
        (png_bytes(Image.new("1", (10_000, 6_000))), "too-large"),  # a tiny file, 60 Mpx
        (b"", "not-an-image"),
    ],
)
def test_bad_images_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        load_image(data)
    assert caught.value.reason == reason


def test_good_images_load() -> None:
    image = load_image((FACES_DIR / "astronaut.png").read_bytes())
    assert image.size == (512, 512)
    assert load_image(jpeg_bytes(Image.new("RGB", (80, 80)))).size == (80, 80)


def test_face_pixels_clamp_rekognition_boxes_to_the_image() -> None:
    box = BoundingBox(width=0.5, height=0.6, left=-0.1, top=0.7)
    region = face_pixels(box, 200, 100)
    assert (region.left, region.top, region.right, region.bottom) == (0, 70, 80, 100)


def test_crop_region_adds_a_margin_and_skips_faces_under_40_px() -> None:
    box = BoundingBox(width=0.1, height=0.1, left=0.45, top=0.45)  # 100 px in 1000 px
    region = crop_region(box, 1000, 1000, margin=0.3)
    assert region is not None
    assert (region.left, region.top, region.width, region.height) == (420, 420, 160, 160)
    assert crop_region(BoundingBox(width=0.039, height=0.1, left=0, top=0), 1000, 1000) is None
    edge = crop_region(BoundingBox(width=0.2, height=0.2, left=0.0, top=0.8), 500, 500)
    assert edge is not None and edge.left == 0 and edge.bottom == 500


def test_upscale_factor_reaches_the_minimum_side() -> None:
    assert upscale_factor(400, 300) == 1.0
    assert upscale_factor(80, 120, min_side=160) == 2.0


def test_crop_jpeg_is_a_searchable_jpeg() -> None:
    image = Image.new("RGBA", (300, 200), (10, 20, 30, 128))
    box = BoundingBox(width=0.2, height=0.3, left=0.4, top=0.3)
    region = crop_region(box, 300, 200)
    assert region is not None
    data = crop_jpeg(image, region)
    assert sniff_format(data) == "jpeg"
    with Image.open(io.BytesIO(data)) as crop:
        assert min(crop.size) >= CROP_MIN_SIDE
