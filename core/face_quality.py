"""Why a face was not named, in words a home owner understands (issue 14, item 2).

Measured from DetectFaces' FaceDetail of the face itself (Rekognition on AWS, the face
service locally, which reports the same fields):
- BoundingBox -> its size in pixels. analyze searches faces of at least MIN_FACE_SIDE px
  (core.imaging); Rekognition recommends 50 x 50 px faces in images up to 1920 x 1080
  (https://docs.aws.amazon.com/rekognition/latest/dg/recommendations-camera-image-video.html).
- FaceOccluded: "eyes, nose, and mouth are partially captured or ... covered by masks, dark
  sunglasses, cell phones, hands" (returned with Attributes ALL;
  https://docs.aws.amazon.com/rekognition/latest/APIReference/API_FaceOccluded.html).
- Pose: Rekognition recommends "a pitch of less than 30 degrees when the camera is facing down
  and less than 45 degrees when the camera is facing up" and "a yaw of less than 45 degrees in
  either direction" (same camera-setup page; API_Pose.html: degrees, -180..180).
- Quality.Brightness and Sharpness, 0-100, higher is brighter/sharper
  (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_ImageQuality.html). AWS
  publishes no cut-offs for them; the ones here are ours, checked on the real photos of
  ../shared/datasets/compreface-samples (README "Design notes": every face there measured
  Brightness 32-77 and Sharpness 30-98 in the face service) and their darkened, blurred
  copies (tests/integration/test_unknown_reasons.py).

The first problem found, in the order below, is the reason; a face with none is "a clear
face that matches nobody enrolled".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import ceil
from typing import Any

from PIL import Image, ImageStat

from core.imaging import MIN_FACE_SIDE, face_pixels
from core.schemas import BoundingBox, FaceResult, Unknown

RECOMMENDED_FACE_SIDE = 50
MAX_YAW = 45.0
MAX_PITCH_DOWN = 30.0  # negative pitch: the face looks down (the camera looks up at it)
MAX_PITCH_UP = 45.0
MIN_BRIGHTNESS = 25.0
MIN_SHARPNESS = 20.0
# A face at least this much darker than the whole picture is backlit, not just dark.
BACKLIT_GAP = 25.0
OCCLUDED_CONFIDENCE = 50.0
CLEAR = "a clear face that matches nobody enrolled"
UNKNOWN_STATUSES = frozenset({"stranger", "too-small"})


Reason = Unknown  # code: too-small | partly-covered | turned-away | too-dark | backlit |
# blurred | small | clear; text: the words shown


def picture_brightness(image: Image.Image) -> float:
    """The whole picture's mean luminance on Rekognition's 0-100 brightness scale."""
    return float(ImageStat.Stat(image.convert("L")).mean[0]) / 255.0 * 100.0


def explain(
    detail: Mapping[str, Any],
    image_width: int,
    image_height: int,
    *,
    image_brightness: float | None = None,
) -> Reason:
    """The reason a face with this FaceDetail was not named."""
    box = BoundingBox.from_aws(detail.get("BoundingBox") or {})
    pixels = face_pixels(box, image_width, image_height)
    side = min(pixels.width, pixels.height)
    if side < MIN_FACE_SIDE:
        return Reason(
            code="too-small", text=f"too small: {side} px, faces need at least {MIN_FACE_SIDE} px"
        )
    covered = detail.get("FaceOccluded") or {}
    if covered.get("Value") and float(covered.get("Confidence", 0)) >= OCCLUDED_CONFIDENCE:
        return Reason(code="partly-covered", text="partly covered or cut off by the picture's edge")
    pose = detail.get("Pose") or {}
    yaw, pitch = float(pose.get("Yaw", 0.0)), float(pose.get("Pitch", 0.0))
    if abs(yaw) > MAX_YAW:
        return Reason(
            code="turned-away",
            text=f"turned away: sideways {ceil(abs(yaw))}° (faces need under {MAX_YAW:.0f}°)",
        )
    if pitch < -MAX_PITCH_DOWN:
        return Reason(
            code="turned-away",
            text=f"turned away: looking down {ceil(-pitch)}° (under {MAX_PITCH_DOWN:.0f}°)",
        )
    if pitch > MAX_PITCH_UP:
        return Reason(
            code="turned-away",
            text=f"turned away: looking up {ceil(pitch)}° (under {MAX_PITCH_UP:.0f}°)",
        )
    quality = detail.get("Quality") or {}
    brightness = float(quality.get("Brightness", 100.0))
    if brightness < MIN_BRIGHTNESS:
        if image_brightness is not None and image_brightness - brightness >= BACKLIT_GAP:
            return Reason(
                code="backlit",
                text=f"backlit: the face is much darker than the picture "
                f"(brightness {brightness:.0f} of 100, picture {image_brightness:.0f})",
            )
        return Reason(code="too-dark", text=f"too dark (brightness {brightness:.0f} of 100)")
    sharpness = float(quality.get("Sharpness", 100.0))
    if sharpness < MIN_SHARPNESS:
        return Reason(code="blurred", text=f"blurred (sharpness {sharpness:.0f} of 100)")
    if side < RECOMMENDED_FACE_SIDE:
        return Reason(
            code="small", text=f"small: {side} px (50 px or more recognise better); matches nobody"
        )
    return Reason(code="clear", text=CLEAR)


def with_reasons(
    faces: Sequence[FaceResult],
    details: Sequence[Mapping[str, Any]],
    image_width: int,
    image_height: int,
    *,
    image_brightness: float | None = None,
) -> list[FaceResult]:
    """`faces` with `why_unknown` set on every face that was not named (strangers and
    faces too small to search). `details` are DetectFaces' FaceDetails, in face order."""
    out = []
    for face in faces:
        if face.status in UNKNOWN_STATUSES and face.index < len(details):
            reason = explain(
                details[face.index],
                image_width,
                image_height,
                image_brightness=image_brightness,
            )
            face = face.model_copy(update={"why_unknown": reason})
        out.append(face)
    return out
