"""Odd but valid photos must not change who someone is.

A phone photo stored sideways with an EXIF Orientation tag, and a 16-bit PNG, are the same
person as the plain photo. Rekognition turns a JPEG upright by its EXIF Orientation before it
reports bounding boxes (and leaves a PNG as it is), so analyze must cut its face crops from
the same upright, 8-bit picture. Truncated JPEGs are refused, as Lambda refuses them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.imaging import ImageRejected, load_image

# The localcloud fixtures (local_cloud, cloud, gallery) of the integration suite.
from tests.support.images import FACES_DIR, jpeg_bytes

ORIENTATION = 0x0112  # the EXIF tag
# Pixels stored turned a quarter anticlockwise; Orientation 6 says "turn them clockwise".
ROTATE_CLOCKWISE = 6


def sideways_jpeg(photo: Path) -> bytes:
    """The photo's pixels turned a quarter anticlockwise, with the EXIF tag that undoes it."""
    with Image.open(photo) as image:
        turned = image.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATE_CLOCKWISE
    out = io.BytesIO()
    turned.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def sixteen_bit_png(photo: Path) -> bytes:
    """The photo as 16-bit greyscale (each 8-bit level v stored as v * 257)."""
    with Image.open(photo) as image:
        grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
    out = io.BytesIO()
    Image.fromarray(grey).save(out, "PNG")
    return out.getvalue()


def truncated_jpeg(photo: Path) -> bytes:
    data = jpeg_bytes(Image.open(photo))
    return data[: len(data) // 2]


# ---- the decoding rule (no servers) --------------------------------------------------------


def test_a_sideways_jpeg_loads_upright() -> None:
    photo = FACES_DIR / "grace_hopper.jpg"
    with Image.open(photo) as original:
        size = original.size
    assert load_image(sideways_jpeg(photo)).size == size


def test_a_png_keeps_its_pixels_as_rekognition_does() -> None:
    """Rekognition corrects no PNG, so neither may we (Pillow would apply a PNG eXIf tag)."""
    with Image.open(FACES_DIR / "grace_hopper.jpg") as original:
        turned = original.convert("RGB").transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATE_CLOCKWISE
    out = io.BytesIO()
    turned.save(out, "PNG", exif=exif.tobytes())
    assert load_image(out.getvalue()).size == turned.size


def test_sixteen_bit_greys_are_scaled_not_clipped() -> None:
    photo = FACES_DIR / "astronaut.png"
    with Image.open(photo) as original:
        expected = np.asarray(original.convert("L"), dtype=np.int16)
    loaded = load_image(sixteen_bit_png(photo))
    assert loaded.mode == "L"
    assert np.abs(np.asarray(loaded, dtype=np.int16) - expected).max() <= 1


def test_a_48_bit_png_is_read_as_8_bit_rgb() -> None:
    import cv2

    colour = np.full((100, 100, 3), 0x80FF, dtype=np.uint16)  # 16-bit channels, 0x80 high
    ok, encoded = cv2.imencode(".png", colour)
    assert ok
    loaded = load_image(encoded.tobytes())
    assert (loaded.mode, loaded.getpixel((0, 0))) == ("RGB", (128, 128, 128))


def test_a_truncated_jpeg_is_corrupt_even_after_face_recognition_is_imported() -> None:
    import localcloud.faceservice.detection  # noqa: F401  (imports face_recognition)

    with pytest.raises(ImageRejected) as caught:
        load_image(truncated_jpeg(FACES_DIR / "grace_hopper.jpg"))
    assert caught.value.reason == "corrupt"


# ---- through localcloud: the frame names the right person ---------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("camera", "make_frame"),
    [("odd-exif-known", sideways_jpeg), ("odd-16bit-known", sixteen_bit_png)],
)
def test_odd_photos_of_a_known_person_are_recorded_quietly(
    cloud, gallery, camera, make_frame
) -> None:
    cloud.put_frame(make_frame(FACES_DIR / "grace_hopper.jpg"), camera=camera)
    cloud.drain()

    (event,) = cloud.events(camera)
    (face,) = event["faces"]
    assert face["status"] == "known"
    assert face["person"]["person_id"] == gallery.known
    assert event["severity"] == "info" and event["alert_status"] == "none"
    assert cloud.emails(camera) == []


@pytest.mark.integration
@pytest.mark.parametrize(
    ("camera", "make_frame"),
    [("odd-exif-barred", sideways_jpeg), ("odd-16bit-barred", sixteen_bit_png)],
)
def test_odd_photos_of_a_barred_person_raise_a_critical_alert(
    cloud, gallery, camera, make_frame
) -> None:
    cloud.put_frame(make_frame(FACES_DIR / "astronaut.png"), camera=camera)
    cloud.drain()

    (event,) = cloud.events(camera)
    (face,) = event["faces"]
    assert face["status"] == "barred"
    assert face["person"]["person_id"] == gallery.barred
    assert event["severity"] == "critical" and event["alert_status"] == "sent"
    (email,) = cloud.emails(camera)
    assert "police@example.com" in email["destinations"]["ToAddresses"]


@pytest.mark.integration
def test_a_truncated_jpeg_frame_is_rejected_locally_as_in_lambda(cloud, gallery) -> None:
    key = cloud.put_frame(truncated_jpeg(FACES_DIR / "grace_hopper.jpg"), camera="odd-truncated")
    cloud.drain()

    assert cloud.tags(cloud.r.uploads_bucket, key) == {"classification": "rejected"}
    assert cloud.events("odd-truncated") == []
    assert cloud.emails("odd-truncated") == []


@pytest.mark.integration
def test_the_face_service_refuses_a_truncated_jpeg(rekognition_client) -> None:
    with pytest.raises(rekognition_client.exceptions.InvalidImageFormatException):
        rekognition_client.detect_faces(
            Image={"Bytes": truncated_jpeg(FACES_DIR / "grace_hopper.jpg")}
        )
