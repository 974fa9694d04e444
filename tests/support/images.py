"""Image helpers for tests: augmented photos of one person and awkward inputs.

`augment(photo, seed)` makes a different-looking photo of the same person (crop, scale,
brightness, small rotation, JPEG quality), deterministic per seed, so one sample face gives
several "photos" of one person.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

REPO = Path(__file__).resolve().parents[2]
FACES_DIR = REPO / "assets" / "faces"


def open_rgb(photo: Path | bytes | Image.Image) -> Image.Image:
    if isinstance(photo, Image.Image):
        return photo.convert("RGB")
    source = io.BytesIO(photo) if isinstance(photo, bytes) else photo
    with Image.open(source) as image:
        return image.convert("RGB")


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def augment(photo: Path | bytes | Image.Image, seed: int) -> bytes:
    """A new JPEG of the same face: crop, scale, brightness, rotation, JPEG quality."""
    rng = random.Random(seed)
    image = open_rgb(photo)
    w, h = image.size
    # Crop up to 8% off each side (faces in the samples are central).
    box = (
        int(w * rng.uniform(0, 0.08)),
        int(h * rng.uniform(0, 0.08)),
        int(w * (1 - rng.uniform(0, 0.08))),
        int(h * (1 - rng.uniform(0, 0.08))),
    )
    image = image.crop(box)
    scale = rng.uniform(0.75, 1.25)
    image = image.resize(
        (max(int(image.width * scale), 80), max(int(image.height * scale), 80)),
        Image.Resampling.LANCZOS,
    )
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    image = image.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC, expand=False)
    return jpeg_bytes(image, quality=rng.randint(45, 92))


def rgba_png(photo: Path | bytes | Image.Image) -> bytes:
    """The photo as a PNG with an alpha channel: opaque centre, transparent corners."""
    image = open_rgb(photo).convert("RGBA")
    alpha = Image.new("L", image.size, 0)
    w, h = image.size
    ImageDraw.Draw(alpha).ellipse((-w * 0.1, -h * 0.1, w * 1.1, h * 1.1), fill=255)
    image.putalpha(alpha)
    return png_bytes(image)


def no_face_jpeg(seed: int = 7, size: tuple[int, int] = (480, 360)) -> bytes:
    """A photo-like scene with no face: gradient sky, ground, boxes and a sun."""
    rng = random.Random(seed)
    w, h = size
    sky = np.linspace(200, 90, h // 2, dtype=np.float32)[:, None] * np.ones((1, w))
    ground = np.full((h - h // 2, w), 70, np.float32)
    gray = np.vstack([sky, ground])
    rgb = np.stack([gray * 0.8, gray * 0.9, gray], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(w - 60), rng.randrange(h // 2, h - 40)
        colour = tuple(rng.randrange(40, 200) for _ in range(3))
        draw.rectangle((x, y - 60, x + rng.randrange(30, 90), y + 30), fill=colour)
    draw.ellipse((w - 90, 20, w - 40, 70), fill=(250, 230, 120))
    return jpeg_bytes(image, quality=88)


def tiny_jpeg(side: int = 60) -> bytes:
    """A JPEG smaller than Rekognition's 80 px minimum."""
    return jpeg_bytes(Image.new("RGB", (side, side), (120, 120, 120)))


def noise_jpeg(megabytes: float, seed: int = 3) -> bytes:
    """A valid JPEG of at least `megabytes` MB (random noise compresses badly)."""
    rng = np.random.default_rng(seed)
    side = int((megabytes * 1024 * 1024 / 1.5) ** 0.5) + 64
    while True:
        data = jpeg_bytes(Image.fromarray(rng.integers(0, 256, (side, side, 3), np.uint8)), 95)
        if len(data) >= megabytes * 1024 * 1024:
            return data
        side = int(side * 1.2)


def corrupt_jpeg() -> bytes:
    """Starts like a JPEG, then garbage: passes the magic-byte check, fails to decode."""
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16


def blurred_jpeg(photo: Path | bytes | Image.Image, radius: float) -> bytes:
    return jpeg_bytes(open_rgb(photo).filter(ImageFilter.GaussianBlur(radius)))


def side_by_side(*photos: Path | bytes | Image.Image, height: int = 300) -> bytes:
    """One JPEG with the photos next to each other, each scaled to `height`."""
    images = [open_rgb(p) for p in photos]
    images = [im.resize((int(im.width * height / im.height), height)) for im in images]
    canvas = Image.new("RGB", (sum(im.width for im in images), height), (128, 128, 128))
    x = 0
    for im in images:
        canvas.paste(im, (x, 0))
        x += im.width
    return jpeg_bytes(canvas)


def small_in_scene(
    photo: Path | bytes | Image.Image, factor: float, size: tuple[int, int] = (480, 360)
) -> bytes:
    """The photo shrunk by `factor` and pasted into a grey scene (a far-away face)."""
    image = open_rgb(photo)
    image = image.resize((int(image.width * factor), int(image.height * factor)))
    canvas = Image.new("RGB", size, (90, 90, 90))
    canvas.paste(image, (size[0] // 5, size[1] // 8))
    return jpeg_bytes(canvas)
