"""core.blur: which faces each privacy_blur mode blurs, and that only they change."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageDraw

from core.blur import blur_faces, blur_region, faces_to_blur
from core.schemas import BoundingBox, FaceResult, PersonRef


def face(index: int, status: str, person_id: str = "") -> FaceResult:
    person = (
        PersonRef(person_id=person_id, name=person_id, watchlist=status, similarity=99.0)
        if status in ("known", "barred")
        else None
    )
    box = BoundingBox(width=0.1, height=0.2, left=0.05 + 0.3 * index, top=0.1)
    return FaceResult(index=index, status=status, bounding_box=box, confidence=99, person=person)


FACES = [face(0, "known", "ann"), face(1, "barred", "bob"), face(2, "stranger"),
         face(3, "too-small")]  # fmt: skip


def indexes(found: list[FaceResult]) -> list[int]:
    return [f.index for f in found]


def test_each_mode_blurs_its_faces() -> None:
    assert faces_to_blur(FACES, "none", {"bob"}) == []
    assert indexes(faces_to_blur(FACES, "known")) == [0, 3]  # family private, intruders not
    # bystanders: all but the people the alert is about
    assert indexes(faces_to_blur(FACES, "bystanders", {"bob", "unknown"})) == [0, 3]
    assert indexes(faces_to_blur(FACES, "bystanders", {"bob"})) == [0, 2, 3]
    assert indexes(faces_to_blur(FACES, "bystanders", set())) == [0, 1, 2, 3]


def test_only_the_blurred_areas_change() -> None:
    image = Image.new("RGB", (400, 200), "white")
    draw = ImageDraw.Draw(image)
    for x in range(0, 400, 4):  # fine detail everywhere
        draw.line((x, 0, x, 200), fill="black")
    out = Image.open(io.BytesIO(blur_faces(image, [FACES[0]], quality=100))).convert("RGB")
    region = blur_region(FACES[0], 400, 200)
    inside = (region.left, region.top, region.right, region.bottom)
    changed = ImageChops.difference(image, out)
    assert changed.crop(inside).getbbox() is not None
    # the stripes inside are gone: the blurred area is smooth
    assert (
        max(out.crop(inside).convert("L").getextrema())
        - min(out.crop(inside).convert("L").getextrema())
        < 60
    )
    untouched = changed.crop((region.right + 8, 0, 400, 200)).convert("L").getextrema()
    assert untouched[1] < 40  # JPEG noise only
