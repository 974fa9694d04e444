"""A reason for every unknown face, measured from the face (core.face_quality), on real
photos (../shared/datasets/compreface-samples) through analyze, the face service and moto:
the Events item, the alert mail and `doorman events` say why each face was not named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageEnhance, ImageFilter

from cli import main

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).parents[3] / "shared" / "datasets" / "compreface-samples"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/datasets/compreface-samples")


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


def sample(name: str) -> Image.Image:
    return Image.open(SAMPLES / name).convert("RGB")


def analyzed(cloud, body: bytes, camera: str) -> dict:
    key = cloud.put_frame(body, camera=camera)
    cloud.drain()
    (event,) = [e for e in cloud.events(camera) if e["image_key"] == key]
    return event


def reasons(event: dict) -> list[tuple[str, str]]:
    return sorted((f["why_unknown"]["code"], f["why_unknown"]["text"]) for f in event["faces"])


def test_a_group_with_turned_faces(cloud, gallery) -> None:
    # 012_4.jpg: four people on a lawn, two of them turned well away from the camera.
    event = analyzed(cloud, (SAMPLES / "012_4.jpg").read_bytes(), "why-group")
    assert [f["status"] for f in event["faces"]] == ["stranger"] * 4
    codes = [code for code, _ in reasons(event)]
    assert codes == ["clear", "clear", "turned-away", "turned-away"]
    assert all("turned away: sideways" in text for code, text in reasons(event) if code != "clear")
    assert cloud.audit_json(event["processed_key"])["faces"][0]["why_unknown"]["code"]

    (mail,) = [m for m in cloud.emails() if event["alert_id"] in m["body"]]
    assert "<th align='left'>Why unknown</th>" in mail["body"]
    assert "a clear face that matches nobody enrolled" in mail["body"]
    assert "turned away: sideways" in mail["body"]

    result = CliRunner().invoke(
        main,
        ["events", "--camera", "why-group", "--json", "--local-dir", str(cloud.local.data_dir)],
    )
    assert result.exit_code == 0, result.output
    shown = [f["why_unknown"] for e in json.loads(result.output) for f in e["faces"]]
    assert sorted(shown) == sorted(text for _, text in reasons(event))


def test_a_crowd_of_small_faces(cloud, gallery) -> None:
    # 016_8.jpg: eight people far away in an 800 px photo: 36 px faces, under the 40 px
    # analyze can search (one face is not even detected).
    event = analyzed(cloud, (SAMPLES / "016_8.jpg").read_bytes(), "why-crowd")
    assert len(event["faces"]) == 7
    assert {f["status"] for f in event["faces"]} == {"too-small"}
    assert set(reasons(event)) == {("too-small", "too small: 36 px, faces need at least 40 px")}


@pytest.mark.parametrize(
    ("name", "change", "code", "words"),
    [
        ("009_C.jpg", lambda im, box: im.filter(ImageFilter.GaussianBlur(3)), "blurred",
         "blurred (sharpness"),
        ("009_C.jpg", lambda im, box: ImageEnhance.Brightness(im).enhance(0.25), "too-dark",
         "too dark (brightness"),
        ("009_C.jpg", "backlit", "backlit", "backlit: the face is much darker than the picture"),
        ("007_B.jpg", "cut", "partly-covered", "partly covered or cut off"),
        ("009_C.jpg", lambda im, box: im, "clear", "a clear face that matches nobody enrolled"),
    ],
    ids=["blurred", "dark", "backlit", "cut-off", "clear"],
)  # fmt: skip
def test_one_real_face_made_hard_to_recognize(cloud, gallery, name, change, code, words) -> None:
    image = sample(name)
    width, height = image.size
    # The face's box, from the face service (DetectFaces on the untouched photo).
    (detail,) = cloud.rekognition.detect_faces(Image={"Bytes": jpeg(image)})["FaceDetails"]
    b = detail["BoundingBox"]
    box = (
        int(b["Left"] * width) - 10,
        int(b["Top"] * height) - 10,
        int((b["Left"] + b["Width"]) * width) + 10,
        int((b["Top"] + b["Height"]) * height) + 10,
    )
    if change == "backlit":  # a bright scene behind a face in shadow
        changed = ImageEnhance.Brightness(image).enhance(1.4)
        changed.paste(ImageEnhance.Brightness(image.crop(box)).enhance(0.25), box[:2])
    elif change == "cut":  # the picture's edge cuts through the face
        changed = image.crop((0, 0, int((b["Left"] + b["Width"] * 0.6) * width), height))
    else:
        changed = change(image, box)
    event = analyzed(cloud, jpeg(changed), "why-derived")
    ((got_code, text),) = reasons(event)
    assert got_code == code and text.startswith(words), text


def test_check_camera_says_what_to_change(cloud, gallery) -> None:
    """After the crowd photo (seven 36 px faces) at why-crowd: nothing was good enough."""
    if not cloud.events("why-crowd"):
        analyzed(cloud, (SAMPLES / "016_8.jpg").read_bytes(), "why-crowd")
    local = ["--local-dir", str(cloud.local.data_dir)]
    result = CliRunner().invoke(main, ["check-camera", "why-crowd", "--since", "1d", *local])
    assert result.exit_code == 0, result.output
    out = result.output
    faces = sum(len(e["faces"]) for e in cloud.events("why-crowd"))
    assert f"0 of {faces} faces (0%) good enough to recognise: this camera needs work" in out
    assert f"{faces} x too-small: e.g. too small: 36 px" in out
    assert "mount the camera lower" in out and "raise `min_face_px`" in out

    missing = CliRunner().invoke(main, ["check-camera", "nowhere", *local])
    assert missing.exit_code == 1 and "no events from camera 'nowhere'" in missing.output
